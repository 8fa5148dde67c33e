using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;
using ComplianceRecorder.Testing;
using static ComplianceRecorder.Testing.ReactiveTest;

namespace ComplianceRecorder.Tests.Pipeline;

/// <summary>
/// A call its source holds open (an AudioHook session: its socket says when the call is over) is not ended by
/// silence, a long secure-pay pause included; a call no source holds still is, as in the transcript dialects.
/// </summary>
public sealed class HeldCallTests
{
    private static readonly PipelineOptions Idle30 = new() { CallIdle = 30.Seconds() };

    [Fact]
    public void A_held_call_silent_past_the_idle_time_is_one_call_ended_only_by_its_source()
    {
        using var run = new PipelineRun(Idle30);
        run.Send(new CallHeld("call-1", run.Origin));
        run.Play(Call.Script("call-1", Dialect.Media).At(1_000).Final("hello").At(200_000).Final("still here"));
        run.AdvanceTo(300_000);
        run.Send(new CallFinished("call-1", "the AudioHook session closed (end)", run.Origin.AddSeconds(300)));

        run.Messages.Of((CallStarted s) => s.ConversationId).AssertEqual(OnNext(0, "call-1"));
        run.Messages.Of((CallEnded e) => e.Reason).AssertEqual(OnNext(300_000, "the AudioHook session closed (end)"));
    }

    [Fact]
    public void A_call_no_source_holds_still_ends_after_the_idle_time()
    {
        using var run = new PipelineRun(Idle30);
        run.Send(new CallHeld("held", run.Origin));
        run.Play(Call.Script("call-1", Dialect.Media).At(1_000).Final("hello"));
        run.AdvanceTo(100_000);

        run.Messages.Of((CallEnded e) => (e.ConversationId, e.Reason)).AssertEqual(
            OnNext(31_000, ("call-1", "no transcript within the idle time: the call's end was not heard")));
    }

    [Fact]
    public void A_hold_said_after_the_calls_end_opens_no_record_that_nothing_would_end()
    {
        using var run = new PipelineRun(Idle30);
        run.Play(Call.Script("call-1", Dialect.Media).At(1_000).Final("hello").At(2_000).End());
        run.AdvanceTo(3_000);
        run.Send(new CallHeld("call-1", run.Origin.AddSeconds(3)));
        run.AdvanceTo(100_000);

        run.Messages.Of((CallStarted s) => s.ConversationId).AssertEqual(OnNext(1_000, "call-1"));
    }

    [Fact]
    public void A_call_held_again_after_an_earlier_end_is_held_in_its_next_record_too()
    {
        using var run = new PipelineRun(Idle30);
        run.Send(new CallHeld("call-1", run.Origin));
        run.Play(Call.Script("call-1", Dialect.Media).At(1_000).Final("hello"));
        run.AdvanceTo(2_000);
        run.Send(new CallFinished("call-1", "the AudioHook session ended without a close", run.Origin.AddSeconds(2)));
        // a session takes the call again after its grace: the hold is said while the earlier end is still remembered
        run.AdvanceTo(3_000);
        run.Send(new CallHeld("call-1", run.Origin.AddSeconds(3)));
        // another call's end lets the earlier end be forgotten, so the call's next words open its next record
        run.Play(
            Call.Script("call-2", Dialect.Media).At(34_000).Final("other").At(35_000).End(),
            Call.Script("call-1", Dialect.Media).At(40_000).Final("back again").At(200_000).Final("still here"));
        run.AdvanceTo(300_000);
        run.Send(new CallFinished("call-1", "the AudioHook session closed (end)", run.Origin.AddSeconds(300)));

        run.Messages.Of((CallEnded e) => (e.ConversationId, e.Reason)).AssertEqual(
            OnNext(2_000, ("call-1", "the AudioHook session ended without a close")),
            OnNext(35_000, ("call-2", "SESSION_ENDED")),
            OnNext(300_000, ("call-1", "the AudioHook session closed (end)")));
    }

    [Fact]
    public void A_held_calls_second_end_closes_the_record_a_gap_opened_after_its_first_though_the_first_is_still_remembered()
    {
        using var run = new PipelineRun(Idle30);
        run.Send(new CallHeld("call-1", run.Origin));
        run.Play(Call.Script("call-1", Dialect.Media).At(1_000).Final("hello"));
        run.AdvanceTo(2_000);
        run.Send(new CallFinished("call-1", "the AudioHook session closed (end)", run.Origin.AddSeconds(2)));
        // a session takes the call again within the idle time: its hold opens nothing, a pause's gap opens a record
        run.AdvanceTo(3_000);
        run.Send(new CallHeld("call-1", run.Origin.AddSeconds(3)));
        run.AdvanceTo(4_000);
        run.Send(new SourceDisconnected(["call-1"], run.Origin.AddSeconds(3.5), "audio not sent", run.Origin.AddSeconds(4)) { Detail = "audio paused" });
        // held: silence past the idle time does not end it; only its source's end does, with no other call's end between
        run.AdvanceTo(50_000);
        run.Send(new CallFinished("call-1", "the AudioHook session closed (end) again", run.Origin.AddSeconds(50)));
        run.AdvanceTo(200_000);

        run.Messages.Of((CallEnded e) => (e.ConversationId, e.Reason)).AssertEqual(
            OnNext(2_000, ("call-1", "the AudioHook session closed (end)")),
            OnNext(50_000, ("call-1", "the AudioHook session closed (end) again")));
    }

    [Fact]
    public void An_unheld_calls_end_redelivered_after_a_gap_record_closed_by_idle_opens_no_third_record()
    {
        using var run = new PipelineRun(Idle30);
        run.Play(Call.Script("call-1", Dialect.Media).At(1_000).Final("hello"));
        run.AdvanceTo(2_000);
        run.Send(new CallFinished("call-1", "SESSION_ENDED", run.Origin.AddSeconds(2)));
        // an outage's gap naming the ended call opens a record of it, which its idle time closes
        run.AdvanceTo(3_000);
        run.Send(new SourceDisconnected(["call-1"], run.Origin.AddSeconds(2.5), "socket dropped", run.Origin.AddSeconds(3)));
        run.AdvanceTo(40_000);
        // the end redelivered while the first is still remembered: a repeat, not a third record
        run.Send(new CallFinished("call-1", "SESSION_ENDED", run.Origin.AddSeconds(40)));
        run.AdvanceTo(200_000);

        run.Messages.Of((CallEnded e) => e.ConversationId).AssertEqual(
            OnNext(2_000, "call-1"),
            OnNext(33_000, "call-1"));
    }
}
