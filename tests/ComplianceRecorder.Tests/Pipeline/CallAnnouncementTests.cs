using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;
using ComplianceRecorder.Testing;

namespace ComplianceRecorder.Tests.Pipeline;

/// <summary>A call's queue and agent reach its call_started whatever event starts the call, in virtual time.</summary>
public sealed class CallAnnouncementTests
{
    private static CallAnnounced Announced(PipelineRun run, string call) => new(call, "q1", "u-7", "Maya Okafor", run.Scheduler.Now);

    private static readonly PipelineOptions KeepingAgentNames = new() { Redaction = new() { KeepAgentNames = true } };

    private static CallStarted Started(PipelineRun run, string call) =>
        Assert.Single(run.Events.OfType<CallStarted>(), s => s.ConversationId == call);

    [Fact]
    public void A_call_that_starts_with_a_disconnection_is_named_by_its_announcement()
    {
        using var run = new PipelineRun(KeepingAgentNames);
        run.AdvanceTo(1_000);
        run.Send(Announced(run, "a"));
        run.AdvanceTo(4_000);
        run.Send(new SourceDisconnected(["a"], run.Origin.AddSeconds(1), "socket dropped", run.Scheduler.Now));
        run.Send(new CallFinished("a", "SESSION_ENDED", run.Scheduler.Now));
        run.RunUntilQuiet();

        var started = Started(run, "a");
        Assert.Equal(("q1", "u-7", "Maya Okafor"), (started.QueueId, started.AgentId, started.AgentName));
    }

    [Fact]
    public void A_call_that_ends_without_speech_is_named_by_its_announcement()
    {
        using var run = new PipelineRun(KeepingAgentNames);
        run.AdvanceTo(1_000);
        run.Send(Announced(run, "silent"));
        run.AdvanceTo(9_000);
        run.Send(new CallFinished("silent", "SESSION_ENDED", run.Scheduler.Now));
        run.RunUntilQuiet();

        var started = Started(run, "silent");
        Assert.Equal(("q1", "u-7", "Maya Okafor"), (started.QueueId, started.AgentId, started.AgentName));
        Assert.Single(run.Events.OfType<CallEnded>(), e => e.ConversationId == "silent");
    }

    [Fact]
    public void An_agents_name_from_the_announcement_is_not_recorded_unless_agents_names_are_kept()
    {
        using var run = new PipelineRun();
        run.AdvanceTo(1_000);
        run.Send(Announced(run, "named"));
        run.AdvanceTo(9_000);
        run.Send(new CallFinished("named", "SESSION_ENDED", run.Scheduler.Now));
        run.RunUntilQuiet();

        var started = Started(run, "named");
        Assert.Equal(("q1", "u-7", null), (started.QueueId, started.AgentId, started.AgentName));
    }
}
