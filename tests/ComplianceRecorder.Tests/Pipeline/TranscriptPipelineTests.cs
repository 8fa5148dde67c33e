using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Tests.Pipeline;

/// <summary>The Rx query driven in virtual time by System.Reactive's own HistoricalScheduler.</summary>
public sealed class TranscriptPipelineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private static TranscriptReceived Media(long seq, string text, bool final = true) =>
        new("call-1", "EXTERNAL", $"u{seq}", final, text, seq * 1000, 500, T0, seq, "ms-1", "media", false, T0.AddSeconds(seq));

    private static (HistoricalScheduler Scheduler, Subject<SourceEvent> Source, List<RecordedEvent> Recorded) Run(PipelineOptions? options = null)
    {
        var scheduler = new HistoricalScheduler(T0);
        var source = new Subject<SourceEvent>();
        var recorded = new List<RecordedEvent>();
        TranscriptPipeline.Build(source, options ?? new PipelineOptions(), scheduler).Subscribe(recorded.Add);
        return (scheduler, source, recorded);
    }

    [Fact]
    public void Gap_is_recorded_when_the_sequence_jumps()
    {
        var (_, source, recorded) = Run();
        source.OnNext(Media(1, "hello"));
        source.OnNext(Media(2, "there"));
        source.OnNext(Media(6, "again"));

        var gap = Assert.Single(recorded.OfType<CoverageGapRecorded>());
        Assert.Equal(GapKind.SequenceGap, gap.Kind);
        Assert.Equal(3, gap.LostCount);
        Assert.Equal((3L, 5L), (gap.FromSequence!.Value, gap.ToSequence!.Value));
        Assert.Equal(3, recorded.OfType<SegmentRecorded>().Count());
    }

    [Fact]
    public void Duplicates_are_dropped()
    {
        var (_, source, recorded) = Run();
        source.OnNext(Media(1, "hello"));
        source.OnNext(Media(2, "there"));
        source.OnNext(Media(2, "there"));
        source.OnNext(Media(1, "hello"));

        Assert.Equal(2, recorded.OfType<SegmentRecorded>().Count());
        Assert.Empty(recorded.OfType<CoverageGapRecorded>());
    }

    [Fact]
    public void A_partial_left_without_its_final_is_a_missing_final_gap()
    {
        var (_, source, recorded) = Run();
        source.OnNext(new TranscriptReceived("call-1", "EXTERNAL", "a", false, "my card", 1000, 300, null, null, null, "notifications", false, T0));
        source.OnNext(new TranscriptReceived("call-1", "EXTERNAL", "b", true, "never mind", 5000, 300, null, null, null, "notifications", false, T0));

        var gap = Assert.Single(recorded.OfType<CoverageGapRecorded>());
        Assert.Equal(GapKind.MissingFinal, gap.Kind);
    }

    [Fact]
    public void Revisions_of_one_utterance_are_numbered_and_redacted_every_time()
    {
        var (_, source, recorded) = Run();
        source.OnNext(new TranscriptReceived("call-1", "EXTERNAL", "a", false, "card 4111 1111", 0, 300, null, null, null, "notifications", false, T0));
        source.OnNext(new TranscriptReceived("call-1", "EXTERNAL", "a", true, "card 4111 1111 1111 1111", 0, 900, null, null, null, "notifications", false, T0));

        var segments = recorded.OfType<SegmentRecorded>().ToList();
        Assert.Equal([1, 2], segments.Select(s => s.Revision));
        Assert.All(segments, s => Assert.DoesNotContain("4111", s.Text, StringComparison.Ordinal));
    }

    [Fact]
    public void A_disconnected_interval_becomes_a_gap_for_every_call_on_the_socket()
    {
        var (_, source, recorded) = Run();
        source.OnNext(new SourceDisconnected(["a", "b"], T0, "socket dropped", T0.AddSeconds(4)));

        var gaps = recorded.OfType<CoverageGapRecorded>().ToList();
        Assert.Equal(["a", "b"], gaps.Select(g => g.ConversationId).Order());
        Assert.All(gaps, g => Assert.Equal(TimeSpan.FromSeconds(4), g.To - g.From));
    }

    [Fact]
    public void A_silent_call_ends_its_group_after_the_idle_time()
    {
        var (scheduler, source, recorded) = Run(new PipelineOptions { CallIdle = TimeSpan.FromSeconds(30) });
        source.OnNext(Media(1, "hello"));
        scheduler.AdvanceBy(TimeSpan.FromSeconds(29));
        Assert.Empty(recorded.OfType<CallEnded>());

        scheduler.AdvanceBy(TimeSpan.FromSeconds(2));
        var ended = Assert.Single(recorded.OfType<CallEnded>());
        Assert.Equal(T0.AddSeconds(30), ended.At);
    }

    private static TranscriptReceived Final(string utterance, string text, string channel = "EXTERNAL") =>
        new("call-1", channel, utterance, true, text, 0, 300, null, null, null, "notifications", false, T0);

    [Fact]
    public void A_final_ending_in_an_unsettled_number_is_held_and_recorded_redacted_when_the_next_final_completes_a_card()
    {
        var (scheduler, source, recorded) = Run(new PipelineOptions { HoldUnsettled = TimeSpan.FromSeconds(2) });
        source.OnNext(Final("a", "the number is 4539 1488"));
        Assert.Empty(recorded.OfType<SegmentRecorded>());

        scheduler.AdvanceBy(TimeSpan.FromSeconds(1));
        source.OnNext(Final("b", "0343 6467"));

        Assert.Equal(["the number is [CARD]", "[CARD]"], recorded.OfType<SegmentRecorded>().Select(s => s.Text));
    }

    [Fact]
    public void A_held_final_goes_out_unchanged_when_nothing_follows_within_the_hold()
    {
        var (scheduler, source, recorded) = Run(new PipelineOptions { HoldUnsettled = TimeSpan.FromSeconds(2) });
        source.OnNext(Final("a", "it is 1234"));
        source.OnNext(Final("x", "hello", channel: "INTERNAL"));
        Assert.Equal(["hello"], recorded.OfType<SegmentRecorded>().Select(s => s.Text));

        scheduler.AdvanceBy(TimeSpan.FromSeconds(2));

        Assert.Equal(["hello", "it is 1234"], recorded.OfType<SegmentRecorded>().Select(s => s.Text));
    }

    [Fact]
    public void A_malformed_frame_is_quarantined_redacted_and_the_stream_goes_on()
    {
        var (_, source, recorded) = Run();
        source.OnNext(new MalformedFrame("{\"text\": \"card 4111 1111 1111 1111\"", 40, "truncated JSON", T0));
        source.OnNext(Media(1, "still here"));

        var q = Assert.Single(recorded.OfType<FrameQuarantined>());
        Assert.DoesNotContain("4111", q.RedactedFrame, StringComparison.Ordinal);
        Assert.Single(recorded.OfType<SegmentRecorded>());
    }
}
