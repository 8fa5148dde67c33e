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

    private static CallFinished End() => new("call-1", "SESSION_ENDED", T0.AddMinutes(1));

    [Fact]
    public void Gap_is_recorded_when_the_missing_messages_never_come()
    {
        var (_, source, recorded) = Run();
        source.OnNext(Media(1, "hello"));
        source.OnNext(Media(2, "there"));
        source.OnNext(Media(6, "again"));
        Assert.Empty(recorded.OfType<CoverageGapRecorded>());

        source.OnNext(End());

        var gap = Assert.Single(recorded.OfType<CoverageGapRecorded>());
        Assert.Equal(GapKind.SequenceGap, gap.Kind);
        Assert.Equal(3, gap.LostCount);
        Assert.Equal((3L, 5L), (gap.FromSequence!.Value, gap.ToSequence!.Value));
        Assert.Equal(["hello", "there", "again"], recorded.OfType<SegmentRecorded>().Select(s => s.Text));
    }

    [Fact]
    public void Gap_is_recorded_as_soon_as_the_reorder_window_overflows()
    {
        var (_, source, recorded) = Run(new PipelineOptions { ReorderWindow = 2 });
        source.OnNext(Media(1, "a"));
        source.OnNext(Media(3, "c"));
        source.OnNext(Media(4, "d"));
        Assert.Empty(recorded.OfType<CoverageGapRecorded>());

        source.OnNext(Media(5, "e"));

        var gap = Assert.Single(recorded.OfType<CoverageGapRecorded>());
        Assert.Equal((2L, 2L, 1), (gap.FromSequence!.Value, gap.ToSequence!.Value, gap.LostCount));
        Assert.Equal(["a", "c", "d", "e"], recorded.OfType<SegmentRecorded>().Select(s => s.Text));
    }

    [Fact]
    public void Messages_reordered_within_the_window_are_put_back_in_order()
    {
        var (_, source, recorded) = Run();
        foreach (var seq in new long[] { 1, 3, 2, 5, 4, 6 })
        {
            source.OnNext(Media(seq, $"m{seq}"));
        }
        source.OnNext(End());

        Assert.Equal(["m1", "m2", "m3", "m4", "m5", "m6"], recorded.OfType<SegmentRecorded>().Select(s => s.Text));
        Assert.Empty(recorded.OfType<CoverageGapRecorded>());
    }

    [Fact]
    public void A_message_after_its_gap_was_declared_is_recorded_as_late_and_kept()
    {
        var (_, source, recorded) = Run(new PipelineOptions { ReorderWindow = 1 });
        source.OnNext(Media(1, "a"));
        source.OnNext(Media(3, "c"));
        source.OnNext(Media(4, "d"));
        source.OnNext(Media(2, "b"));

        Assert.Equal([GapKind.SequenceGap, GapKind.LateArrival], recorded.OfType<CoverageGapRecorded>().Select(g => g.Kind));
        Assert.Equal(["a", "c", "d", "b"], recorded.OfType<SegmentRecorded>().Select(s => s.Text));
    }

    [Fact]
    public void A_sequence_that_starts_again_from_one_is_recorded_as_a_restart()
    {
        var (_, source, recorded) = Run(new PipelineOptions { ReorderWindow = 2 });
        for (var seq = 1; seq <= 5; seq++)
        {
            source.OnNext(Media(seq, $"m{seq}"));
        }
        // the restarted stream's first message has a new utterance: it is not a redelivery of the old seq 1
        source.OnNext(new TranscriptReceived("call-1", "EXTERNAL", "r1", true, "after restart", 0, 500, T0, 1, "ms-1", "media", false, T0.AddMinutes(1)));
        source.OnNext(Media(1, "hello"));

        Assert.Equal(GapKind.SequenceRestart, Assert.Single(recorded.OfType<CoverageGapRecorded>()).Kind);
        Assert.Equal(6, recorded.OfType<SegmentRecorded>().Count());
    }

    [Fact]
    public void Duplicates_are_dropped()
    {
        var (_, source, recorded) = Run();
        source.OnNext(Media(1, "hello"));
        source.OnNext(Media(2, "there"));
        source.OnNext(Media(2, "there"));
        source.OnNext(Media(1, "hello"));
        source.OnNext(Media(3, "x"));
        source.OnNext(Media(3, "x"));

        Assert.Equal(3, recorded.OfType<SegmentRecorded>().Count());
        Assert.Empty(recorded.OfType<CoverageGapRecorded>());
    }

    /// <summary>
    /// Any delivery of a stream — messages lost, duplicated, and shuffled no further than the reorder window —
    /// records each delivered message once, in order, and exactly the lost ranges as gaps.
    /// </summary>
    [FsCheck.Xunit.Property(MaxTest = 300)]
    public bool Shuffled_and_duplicated_delivery_records_the_same_utterances_and_exactly_the_real_gaps(int seed, byte length)
    {
        const int Window = 4;
        var rnd = new Random(seed);
        var n = 2 + (length % 60);
        // the first and last always arrive: a stream's edges can't be told from its start and end
        var lost = Enumerable.Range(2, n - 2).Where(_ => rnd.NextDouble() < 0.15).ToHashSet();
        var delivered = Enumerable.Range(1, n).Where(s => !lost.Contains(s)).ToList();
        var wire = new List<int>();
        foreach (var s in delivered)
        {
            wire.Add(s);
            if (rnd.NextDouble() < 0.1)
            {
                wire.Add(s);
            }
        }
        // shuffle locally: each message moves at most a little, so its place is never given up
        for (var i = 1; i + 1 < wire.Count; i++)
        {
            if (rnd.NextDouble() < 0.3 && Math.Abs(wire[i] - wire[i + 1]) <= 1)
            {
                (wire[i], wire[i + 1]) = (wire[i + 1], wire[i]);
            }
        }

        var (_, source, recorded) = Run(new PipelineOptions { ReorderWindow = Window });
        foreach (var s in wire)
        {
            source.OnNext(Media(s, $"m{s}"));
        }
        source.OnNext(End());

        var texts = recorded.OfType<SegmentRecorded>().Select(s => s.Text).ToList();
        var expectedGaps = Runs(lost.Order().ToList());
        var gaps = recorded.OfType<CoverageGapRecorded>().Select(g => (g.Kind, g.FromSequence, g.ToSequence)).ToList();
        return texts.SequenceEqual(delivered.Select(s => $"m{s}"))
            && gaps.SequenceEqual(expectedGaps.Select(r => (GapKind.SequenceGap, (long?)r.From, (long?)r.To)));
    }

    private static List<(int From, int To)> Runs(List<int> sorted)
    {
        var runs = new List<(int, int)>();
        foreach (var s in sorted)
        {
            if (runs.Count > 0 && runs[^1].Item2 == s - 1)
            {
                runs[^1] = (runs[^1].Item1, s);
            }
            else
            {
                runs.Add((s, s));
            }
        }
        return runs;
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
    public void A_redelivered_partial_is_not_a_new_revision_and_keeps_its_source_key()
    {
        var (_, source, recorded) = Run();
        var partial = new TranscriptReceived("call-1", "EXTERNAL", "a", false, "my order", 0, 300, null, null, null, "notifications", false, T0);
        source.OnNext(partial);
        source.OnNext(partial);
        source.OnNext(partial with { IsFinal = true, Text = "my order is late" });
        source.OnNext(partial with { IsFinal = true, Text = "my order is late" });

        var segments = recorded.OfType<SegmentRecorded>().ToList();
        Assert.Equal([1, 2], segments.Select(s => s.Revision));
        Assert.Equal(segments[0].SourceKey, (segments[0] with { Revision = 7 }).SourceKey);
        Assert.NotEqual(segments[0].SourceKey, segments[1].SourceKey);
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
    public void When_the_source_ends_a_held_final_is_still_recorded_and_the_call_end_says_why()
    {
        var (_, source, recorded) = Run(new PipelineOptions { HoldUnsettled = TimeSpan.FromSeconds(2) });
        source.OnNext(Final("a", "it is 1234"));
        Assert.Empty(recorded.OfType<SegmentRecorded>());

        source.OnCompleted();

        Assert.Equal(["it is 1234"], recorded.OfType<SegmentRecorded>().Select(s => s.Text));
        Assert.Contains("recorder stopped", Assert.Single(recorded.OfType<CallEnded>()).Reason, StringComparison.Ordinal);
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

    /// <summary>A call's stored transcript, as the archive would hand it back after the call.</summary>
    private sealed class StoredTranscript(params TranscriptReceived[] stored) : ITranscriptArchive
    {
        public int Fetches { get; private set; }

        public Task<IReadOnlyList<TranscriptReceived>> FetchAsync(string conversationId, string communicationId, CancellationToken ct)
        {
            Fetches++;
            return Task.FromResult<IReadOnlyList<TranscriptReceived>>(stored);
        }
    }

    private static TranscriptReceived Said(string utterance, bool final, string text, long offset, bool stored = false, string channel = "EXTERNAL") =>
        new("call-1", channel, utterance, final, text, offset, 300, null, null, null, "notifications", stored, T0) { CommunicationId = "comm-1" };

    /// <summary>Finals another process recorded before this one took the call over.</summary>
    private sealed class RecordedElsewhere(params TranscriptReceived[] finals) : IRecordedFinals
    {
        public Task<IReadOnlyList<TranscriptReceived>> FinalsAsync(string conversationId, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<TranscriptReceived>>(finals);
    }

    private sealed class StoreDown : IRecordedFinals
    {
        public Task<IReadOnlyList<TranscriptReceived>> FinalsAsync(string conversationId, CancellationToken ct) =>
            Task.FromException<IReadOnlyList<TranscriptReceived>>(new TimeoutException("the store did not answer"));
    }

    [Fact]
    public async Task When_the_store_cannot_say_what_others_heard_the_backfill_still_records_what_this_recorder_did_not_hear()
    {
        var archive = new StoredTranscript(Said("s0", true, "hello there", 1000, stored: true), Said("s1", true, "my name is on the account", 5000, stored: true));
        var recorded = new List<RecordedEvent>();
        var done = new TaskCompletionSource();
        var source = new Subject<SourceEvent>();
        TranscriptPipeline.Build(source, new PipelineOptions(), new HistoricalScheduler(T0), archive, new StoreDown()).Subscribe(recorded.Add, () => done.SetResult());

        source.OnNext(Said("a", true, "hello there", 1000));
        source.OnNext(new SourceDisconnected(["call-1"], T0.AddSeconds(2), "socket dropped", T0.AddSeconds(8)));
        source.OnNext(End());
        source.OnCompleted();
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(5000, Assert.Single(recorded.OfType<SegmentRecorded>(), s => s.Backfilled).OffsetMs);
        Assert.Empty(recorded.OfType<BackfillFailed>());
    }

    [Fact]
    public async Task What_a_killed_or_parallel_recorder_already_recorded_is_not_backfilled_again_and_what_nobody_heard_is()
    {
        // the agent says the same words twice; only the first time was heard, by a recorder that was then killed
        var archive = new StoredTranscript(
            Said("s0", true, "let me check that for you one moment please", 1000, stored: true),
            Said("s1", true, "let me check that for you one moment please", 5000, stored: true),
            Said("s2", true, "call me on three five three seven three seven two six four zero", 7000, stored: true),
            Said("s3", true, "thank you", 9000, stored: true));
        // the store holds what the other recorder heard as it recorded it: redacted
        var recorded = new RecordedElsewhere(
            Said("a", true, "let me check that for you one moment please", 1000),
            Said("b", true, "call me on [PHONE]", 7000));
        var recordedEvents = new List<RecordedEvent>();
        var done = new TaskCompletionSource();
        var source = new Subject<SourceEvent>();
        TranscriptPipeline.Build(source, new PipelineOptions(), new HistoricalScheduler(T0), archive, recorded).Subscribe(recordedEvents.Add, () => done.SetResult());

        // this recorder took over after the first utterance: it was not running, so it records that gap, then hears the last
        source.OnNext(new SourceDisconnected(["call-1"], T0, "the recorder was not running", T0.AddSeconds(8)));
        source.OnNext(Said("c", true, "thank you", 9000));
        source.OnNext(End());
        source.OnCompleted();
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var backfilled = Assert.Single(recordedEvents.OfType<SegmentRecorded>(), s => s.Backfilled);
        Assert.Equal(5000, backfilled.OffsetMs);
    }

    [Fact]
    public async Task A_backfilled_answer_is_redacted_in_the_context_it_was_said_in_not_after_the_whole_call()
    {
        // the answer to the agent's question was lost live; by the call's end the question is many turns back
        string[] after = ["thank you", "is there anything else", "no that is all", "great have a nice day", "you too", "goodbye"];
        var stored = new List<TranscriptReceived>
        {
            Said("s0", true, "can i have the three digits on the back of the card", 1000, stored: true, channel: "INTERNAL"),
            Said("s1", true, "four five six", 4000, stored: true),
        };
        stored.AddRange(after.Select((text, i) => Said($"s{i + 2}", true, text, 8000 + (i * 3000), stored: true, channel: i % 2 == 0 ? "INTERNAL" : "EXTERNAL")));
        var archive = new StoredTranscript([.. stored]);
        var recorded = new List<RecordedEvent>();
        var done = new TaskCompletionSource();
        var source = new Subject<SourceEvent>();
        TranscriptPipeline.Build(source, new PipelineOptions(), new HistoricalScheduler(T0), archive).Subscribe(recorded.Add, () => done.SetResult());

        source.OnNext(Said("a", true, "can i have the three digits on the back of the card", 1000, channel: "INTERNAL"));
        source.OnNext(Said("b", false, "four", 4000));
        foreach (var (live, i) in after.Select((text, i) => (text, i)))
        {
            source.OnNext(Said($"c{i}", true, live, 8000 + (i * 3000), channel: i % 2 == 0 ? "INTERNAL" : "EXTERNAL"));
        }
        source.OnNext(End());
        source.OnCompleted();
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var backfilled = Assert.Single(recorded.OfType<SegmentRecorded>(), s => s.Backfilled);
        Assert.Equal("[CVV]", backfilled.Text);
    }

    [Fact]
    public async Task After_a_call_with_gaps_what_the_stored_transcript_holds_and_was_not_heard_is_recorded_backfilled_and_redacted()
    {
        var archive = new StoredTranscript(
            Said("s0", true, "hello there", 1000, stored: true),
            // said 200 ms after the first: close enough to be mistaken for it if one live final could count twice
            Said("s1", true, "my card is 4111 1111 1111 1111", 1200, stored: true),
            Said("s2", true, "thank you", 9000, stored: true));
        var scheduler = new HistoricalScheduler(T0);
        var source = new Subject<SourceEvent>();
        var recorded = new List<RecordedEvent>();
        var done = new TaskCompletionSource();
        TranscriptPipeline.Build(source, new PipelineOptions(), scheduler, archive).Subscribe(recorded.Add, () => done.SetResult());

        source.OnNext(Said("a", true, "hello there", 1000));
        source.OnNext(Said("b", false, "my card", 1200));
        source.OnNext(Said("c", true, "thank you", 9000));
        source.OnNext(End());
        source.OnCompleted();
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, archive.Fetches);
        var backfilled = Assert.Single(recorded.OfType<SegmentRecorded>(), s => s.Backfilled);
        Assert.Equal("my card is [CARD]", backfilled.Text);
        Assert.True(backfilled.IsFinal);
        Assert.IsType<CallEnded>(recorded[^1]);
    }

    [Fact]
    public async Task A_call_heard_without_gaps_never_asks_for_its_stored_transcript()
    {
        var archive = new StoredTranscript(Said("s0", true, "hello there", 1000, stored: true));
        var recorded = new List<RecordedEvent>();
        var done = new TaskCompletionSource();
        var source = new Subject<SourceEvent>();
        TranscriptPipeline.Build(source, new PipelineOptions(), new HistoricalScheduler(T0), archive).Subscribe(recorded.Add, () => done.SetResult());

        source.OnNext(Said("a", true, "hello there", 1000));
        source.OnNext(End());
        source.OnCompleted();
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, archive.Fetches);
        Assert.DoesNotContain(recorded.OfType<SegmentRecorded>(), s => s.Backfilled);
    }

    /// <summary>One media-dialect frame as the socket carries it, decoded as the media source decodes it.</summary>
    private static SourceEvent MediaFrame(long seq, bool final, string text) =>
        Assert.Single(ComplianceRecorder.Genesys.MediaSource.Decode("call-1",
            $$"""[{"eventType":"transcription","eventSequence":{{seq}},"mediaSessionId":"call-1","transcript":"{{text}}","isPartial":{{(final ? "false" : "true")}},"timestamp":"{{T0.AddSeconds(seq):O}}"}]""",
            T0.AddSeconds(seq)));

    [Fact]
    public void Media_messages_swapped_in_the_reorder_window_are_numbered_by_sequence_so_no_revision_is_lost()
    {
        // utterances: 1-2, 3-5, 6-7, 8-10 (partials, then the final)
        var finals = new long[] { 2, 5, 7, 10 };
        var (scheduler, source, recorded) = Run();
        foreach (var seq in new long[] { 1, 2, 3, 4, 5, 6, 8, 7, 9, 10 })
        {
            scheduler.AdvanceBy(TimeSpan.FromSeconds(1));
            source.OnNext(MediaFrame(seq, finals.Contains(seq), $"m{seq}"));
        }
        source.OnNext(End());

        var segments = recorded.OfType<SegmentRecorded>().ToList();
        Assert.Equal(Enumerable.Range(1, 10).Select(s => $"m{s}"), segments.Select(s => s.Text));
        var utterance = segments.ToDictionary(s => s.SourceSequence!.Value, s => s.UtteranceId);
        Assert.Equal(utterance[8], utterance[10]);
        Assert.Equal(utterance[6], utterance[7]);
        Assert.NotEqual(utterance[7], utterance[8]);
        Assert.Equal([1, 2, 3], segments.Where(s => s.UtteranceId == utterance[10]).Select(s => s.Revision));
        Assert.Empty(recorded.OfType<CoverageGapRecorded>());
    }

    [Theory]
    [InlineData("partial")]
    [InlineData("final")]
    [InlineData("partial, final")]
    public void Frames_after_the_calls_end_are_recorded_as_late_arrivals_never_as_its_speech(string late)
    {
        var (scheduler, source, recorded) = Run();
        source.OnNext(Said("a", false, "my order", 1000));
        source.OnNext(Said("a", true, "my order is late", 1000));
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1));
        source.OnNext(End());
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1));
        foreach (var kind in late.Split(", "))
        {
            source.OnNext(Said(kind == "final" ? "b" : "a", kind == "final", "and another thing", 4000) with { ReceivedAt = scheduler.Now });
        }
        source.OnNext(End());
        scheduler.AdvanceBy(TimeSpan.FromMinutes(10));

        Assert.Equal(["my order", "my order is late"], recorded.OfType<SegmentRecorded>().Select(s => s.Text));
        Assert.Single(recorded.OfType<CallStarted>());
        Assert.Single(recorded.OfType<CallEnded>());
        var gaps = recorded.OfType<CoverageGapRecorded>().ToList();
        Assert.Equal(late.Split(", ").Length, gaps.Count);
        Assert.All(gaps, g => Assert.Equal(GapKind.LateArrival, g.Kind));
        Assert.All(gaps, g => Assert.DoesNotContain("another", g.Detail, StringComparison.Ordinal));
        Assert.IsType<CallEnded>(recorded[^(gaps.Count + 1)]);
    }

    [Fact]
    public void A_call_ended_by_silence_and_one_ended_by_a_stop_each_say_which()
    {
        var (scheduler, source, recorded) = Run(new PipelineOptions { CallIdle = TimeSpan.FromSeconds(30) });
        source.OnNext(Media(1, "hello"));
        scheduler.AdvanceBy(TimeSpan.FromSeconds(31));
        source.OnNext(new TranscriptReceived("call-2", "EXTERNAL", "x", true, "hi", 0, 300, null, null, null, "notifications", false, scheduler.Now));
        scheduler.AdvanceBy(TimeSpan.FromSeconds(5));

        source.OnCompleted();

        var reasons = recorded.OfType<CallEnded>().ToDictionary(e => e.ConversationId, e => e.Reason);
        Assert.Equal("no transcript within the idle time: the call's end was not heard", reasons["call-1"]);
        Assert.Equal("the recorder stopped before the call's end was heard", reasons["call-2"]);
    }

    /// <summary>An archive that cannot be reached.</summary>
    private sealed class UnreachableArchive : ITranscriptArchive
    {
        public Task<IReadOnlyList<TranscriptReceived>> FetchAsync(string conversationId, string communicationId, CancellationToken ct) =>
            Task.FromException<IReadOnlyList<TranscriptReceived>>(new HttpRequestException("GET of the stored transcript failed with 503"));
    }

    [Fact]
    public async Task A_backfill_that_fails_is_recorded_with_its_reason_and_the_call_still_ends()
    {
        var recorded = new List<RecordedEvent>();
        var done = new TaskCompletionSource();
        var source = new Subject<SourceEvent>();
        TranscriptPipeline.Build(source, new PipelineOptions(), new HistoricalScheduler(T0), new UnreachableArchive()).Subscribe(recorded.Add, () => done.SetResult());

        source.OnNext(Said("a", true, "hello there", 1000));
        source.OnNext(new SourceDisconnected(["call-1"], T0, "socket dropped", T0.AddSeconds(4)));
        source.OnNext(End());
        source.OnCompleted();
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var failed = Assert.Single(recorded.OfType<BackfillFailed>());
        Assert.Equal("call-1", failed.ConversationId);
        Assert.Equal("HttpRequestException: GET of the stored transcript failed with 503", failed.Reason);
        Assert.IsType<CallEnded>(recorded[^1]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1500)]
    [InlineData(-1500)]
    [InlineData(2000)]
    public async Task Stored_phrases_drifted_from_the_live_times_are_matched_by_overlap_and_words_neither_doubled_nor_dropped(long drift)
    {
        var archive = new StoredTranscript(
            Said("s0", true, "hello there how can I help", 1000 + drift, stored: true),
            // said just after the first, in other words: not heard live, whatever the drift
            Said("s1", true, "my card is 4111 1111 1111 1111", 2500 + drift, stored: true),
            Said("s2", true, "thank you so much", 9000 + drift, stored: true),
            Said("s3", true, "thank you", 10500 + drift, stored: true));
        var recorded = new List<RecordedEvent>();
        var done = new TaskCompletionSource();
        var source = new Subject<SourceEvent>();
        TranscriptPipeline.Build(source, new PipelineOptions(), new HistoricalScheduler(T0), archive).Subscribe(recorded.Add, () => done.SetResult());

        source.OnNext(Said("a", true, "hello there how can I help", 1000));
        source.OnNext(new SourceDisconnected(["call-1"], T0, "socket dropped", T0.AddSeconds(4)));
        source.OnNext(Said("c", true, "thank you so much", 9000));
        source.OnNext(End());
        source.OnCompleted();
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["my card is [CARD]", "thank you"], recorded.OfType<SegmentRecorded>().Where(s => s.Backfilled).Select(s => s.Text));
    }
}
