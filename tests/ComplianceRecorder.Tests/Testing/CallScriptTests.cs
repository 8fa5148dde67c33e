using ComplianceRecorder.Pipeline.Input;
using ComplianceRecorder.Testing;
using static ComplianceRecorder.Testing.ReactiveTest;

namespace ComplianceRecorder.Tests.Testing;

public sealed class CallScriptTests
{
    private static readonly DateTimeOffset Origin = PipelineRun.DefaultOrigin;

    private static long Ms(DateTimeOffset? at) => (long)(at!.Value - Origin).TotalMilliseconds;

    /// <summary>A frame in one line: what it is, and when it was said and received.</summary>
    private static string Describe(SourceEvent e) => e switch
    {
        TranscriptReceived t when t.Sequence is { } seq => $"#{seq} {t.Text} (said {Ms(t.SourceTime)}, received {Ms(t.ReceivedAt)})",
        TranscriptReceived t => $"{t.Channel} {t.UtteranceId} {(t.IsFinal ? "final" : "partial")} {t.Text} @{t.OffsetMs}+{t.DurationMs} {t.CommunicationId}",
        SourceDisconnected d => $"down {string.Join(",", d.ConversationIds)} {Ms(d.From)}..{Ms(d.ReceivedAt)}: {d.Reason}",
        CallFinished f => $"end {f.ConversationId}: {f.Reason}",
        MalformedFrame m => $"malformed {m.Raw}: {m.Reason}",
        _ => e.GetType().Name,
    };

    [Fact]
    public void A_played_script_delivers_each_frame_at_its_time_in_the_order_written()
    {
        using var run = new PipelineRun();
        run.Play(Call.Script("conv-1")
            .At(100).Partial("my card")
            .At(250).Partial("my card is", Speakers.Agent)
            .Final("my card is late")
            .At(400).Final("noted", Speakers.Agent)
            .At(700).Final("hello again", utterance: "x", offset: 650)
            .At(900).End());

        run.AdvanceTo(249);
        run.Frames.Of((SourceEvent e) => Describe(e)).AssertEqual(
            OnNext(100, "EXTERNAL u1 partial my card @100+300 comm-conv-1"));

        run.RunUntilQuiet();
        run.Frames.Of((SourceEvent e) => Describe(e)).AssertEqual(
            OnNext(100, "EXTERNAL u1 partial my card @100+300 comm-conv-1"),
            OnNext(250, "INTERNAL u2 partial my card is @250+300 comm-conv-1"),
            OnNext(250, "EXTERNAL u1 final my card is late @100+300 comm-conv-1"),
            OnNext(400, "INTERNAL u2 final noted @250+300 comm-conv-1"),
            OnNext(700, "EXTERNAL x final hello again @650+300 comm-conv-1"),
            OnNext(900, "end conv-1: SESSION_ENDED"));
        Assert.All(run.Frames, f => Assert.Equal(Origin.AddMilliseconds(f.Time), f.Value.Value.ReceivedAt));
    }

    [Fact]
    public void Media_faults_reach_the_wire_as_scripted()
    {
        var script = Call.Script("conv-1", Dialect.Media)
            .At(100).Final("one")
            .At(200).Final("two").OutOfOrder()
            .At(300).Final("three")
            .Gap(2)
            .At(400).Final("six")
            .At(500).Redeliver("three")
            .At(600).SocketDrop(2.Seconds())
            .Final("one again")
            .Restart()
            .At(2_700).Final("one more time")
            .Malformed("{\"transcr", "truncated");

        Assert.Equal(
            [
                (100L, "#1 one (said 100, received 100)"),
                (300L, "#3 three (said 300, received 300)"),
                (300L, "#2 two (said 200, received 300)"),
                (400L, "#6 six (said 400, received 400)"),
                (500L, "#3 three (said 300, received 500)"),
                (2_600L, "down conv-1 600..2600: socket dropped"),
                (2_600L, "#1 one again (said 2600, received 2600)"),
                (2_700L, "#1 one more time (said 2700, received 2700)"),
                (2_700L, "malformed {\"transcr: truncated"),
            ],
            script.Frames(Origin).Select(f => (f.At, Describe(f.Event))));
    }

    [Fact]
    public void A_script_refuses_what_it_could_only_get_wrong()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Call.Script("conv-1").At(500).At(400));
        Assert.Contains("media-dialect", Assert.Throws<InvalidOperationException>(() => Call.Script("conv-1").Gap()).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => Call.Script("conv-1").Redeliver("never said"));

        using var run = new PipelineRun();
        run.AdvanceTo(1_000);
        Assert.Throws<ArgumentOutOfRangeException>(() => run.Play(Call.Script("conv-1").At(999).Final("too late")));
    }
}
