using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;
using ComplianceRecorder.Pipeline.Redaction;
using ComplianceRecorder.Testing;
using static ComplianceRecorder.Testing.ReactiveTest;

namespace ComplianceRecorder.Tests.Pipeline;

/// <summary>
/// The Rx query driven in virtual time: scripted calls played into it on a HistoricalScheduler, and what
/// it records asserted with the time it came out (milliseconds from the run's start).
/// </summary>
public sealed class TranscriptPipelineTests
{
    private static CallScript Media() => Call.Script("call-1", Dialect.Media);

    private static CallScript Notifications() => Call.Script("call-1");

    private static IReadOnlyList<Recorded<System.Reactive.Notification<string>>> Texts(PipelineRun run) =>
        run.Messages.Of((SegmentRecorded s) => s.Text);

    private static IReadOnlyList<Recorded<System.Reactive.Notification<(GapKind Kind, long? From, long? To, int Lost)>>> Gaps(PipelineRun run) =>
        run.Messages.Of((CoverageGapRecorded g) => (g.Kind, g.FromSequence, g.ToSequence, g.LostCount));

    [Fact]
    public void Gap_is_recorded_when_the_missing_messages_never_come()
    {
        var run = PipelineRun.Start(Media()
            .At(1_000).Final("hello")
            .At(2_000).Final("there")
            .Gap(3)
            .At(6_000).Final("again")
            .At(60_000).End());

        // nothing before the call's end: the missing three might still have come until then
        Gaps(run).AssertEqual(OnNext(60_000, (GapKind.SequenceGap, (long?)3, (long?)5, 3)));
        Texts(run).AssertEqual(OnNext(1_000, "hello"), OnNext(2_000, "there"), OnNext(60_000, "again"));
    }

    [Fact]
    public void Gap_is_recorded_as_soon_as_the_reorder_window_overflows()
    {
        var run = PipelineRun.Start(new PipelineOptions { ReorderWindow = 2 }, Media()
            .At(1_000).Final("a")
            .Gap()
            .At(3_000).Final("c")
            .At(4_000).Final("d")
            .At(5_000).Final("e"));

        Gaps(run).AssertEqual(OnNext(5_000, (GapKind.SequenceGap, (long?)2, (long?)2, 1)));
        Texts(run).AssertEqual(OnNext(1_000, "a"), OnNext(5_000, "c"), OnNext(5_000, "d"), OnNext(5_000, "e"));
    }

    [Fact]
    public void Messages_reordered_within_the_window_are_put_back_in_order()
    {
        var run = PipelineRun.Start(Media()
            .At(1_000).Final("m1")
            .At(2_000).Final("m2").OutOfOrder()
            .At(3_000).Final("m3")
            .At(4_000).Final("m4").OutOfOrder()
            .At(5_000).Final("m5")
            .At(6_000).Final("m6")
            .At(7_000).End());

        Texts(run).AssertEqual(
            OnNext(1_000, "m1"), OnNext(3_000, "m2"), OnNext(3_000, "m3"), OnNext(5_000, "m4"), OnNext(5_000, "m5"), OnNext(6_000, "m6"));
        Gaps(run).AssertEqual();
    }

    [Fact]
    public void A_message_after_its_gap_was_declared_is_recorded_as_late_and_kept()
    {
        var run = PipelineRun.Start(new PipelineOptions { ReorderWindow = 1 }, Media()
            .At(1_000).Final("a")
            .At(2_000).Final("b").OutOfOrder(after: 2)
            .At(3_000).Final("c")
            .At(4_000).Final("d"));

        Gaps(run).AssertEqual(OnNext(4_000, (GapKind.SequenceGap, (long?)2, (long?)2, 1)), OnNext(4_000, (GapKind.LateArrival, (long?)2, (long?)2, 0)));
        Texts(run).AssertEqual(OnNext(1_000, "a"), OnNext(4_000, "c"), OnNext(4_000, "d"), OnNext(4_000, "b"));
    }

    [Fact]
    public void A_sequence_that_starts_again_from_one_is_recorded_as_a_restart()
    {
        var run = PipelineRun.Start(new PipelineOptions { ReorderWindow = 2 }, Media()
            .At(1_000).Final("m1").At(2_000).Final("m2").At(3_000).Final("m3").At(4_000).Final("m4").At(5_000).Final("m5")
            .Restart()
            // the restarted stream's first message is new speech: it is not a redelivery of the old 1, which follows
            .At(60_000).Final("after restart")
            .Redeliver("m1"));

        Gaps(run).AssertEqual(OnNext(60_000, (GapKind.SequenceRestart, (long?)5, (long?)1, 0)));
        Texts(run).AssertEqual(
            OnNext(1_000, "m1"), OnNext(2_000, "m2"), OnNext(3_000, "m3"), OnNext(4_000, "m4"), OnNext(5_000, "m5"), OnNext(60_000, "after restart"));
    }

    [Fact]
    public void A_sequence_that_starts_again_before_the_window_has_filled_is_a_restart_and_its_speech_is_kept()
    {
        var run = PipelineRun.Start(new PipelineOptions { ReorderWindow = 8 }, Media()
            .At(1_000).Final("m1").At(2_000).Final("m2").At(3_000).Final("m3")
            .Restart()
            // numbers 1 and 2 again, but newer than anything heard: new speech, not a redelivery
            .At(60_000).Final("after restart").At(61_000).Final("and more")
            .Redeliver("m2"));

        Gaps(run).AssertEqual(OnNext(60_000, (GapKind.SequenceRestart, (long?)3, (long?)1, 0)));
        Texts(run).AssertEqual(
            OnNext(1_000, "m1"), OnNext(2_000, "m2"), OnNext(3_000, "m3"), OnNext(60_000, "after restart"), OnNext(61_000, "and more"));
    }

    [Fact]
    public void Duplicates_are_dropped()
    {
        var run = PipelineRun.Start(Media()
            .At(1_000).Final("hello")
            .At(2_000).Final("there").Redeliver().Redeliver("hello")
            .At(3_000).Final("x").Redeliver());

        Texts(run).AssertEqual(OnNext(1_000, "hello"), OnNext(2_000, "there"), OnNext(3_000, "x"));
        Gaps(run).AssertEqual();
    }

    private static readonly DateTimeOffset T0 = PipelineRun.DefaultOrigin;

    private static TranscriptReceived Numbered(long seq, string text) =>
        new("call-1", "EXTERNAL", $"u{seq}", true, text, seq * 1000, 500, T0, seq, "ms-1", "media", false, T0.AddSeconds(seq));

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

        // an arbitrary wire order, sent frame by frame: more than a script's faults can spell
        using var run = new PipelineRun(new PipelineOptions { ReorderWindow = Window });
        foreach (var s in wire)
        {
            run.Send(Numbered(s, $"m{s}"));
        }
        run.Send(new CallFinished("call-1", "SESSION_ENDED", T0.AddMinutes(1)));

        var recorded = run.Events;
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
        var run = PipelineRun.Start(Notifications()
            .At(1_000).Partial("my card")
            .At(5_000).Final("never mind", utterance: "b"));

        Gaps(run).AssertEqual(OnNext(5_000, (GapKind.MissingFinal, (long?)null, (long?)null, 1)));
    }

    [Fact]
    public void Revisions_of_one_utterance_are_numbered_and_redacted_every_time()
    {
        var run = PipelineRun.Start(Notifications()
            .At(0).Partial("card 4111 1111")
            .At(600).Final("card 4111 1111 1111 1111"));

        var segments = run.Events.OfType<SegmentRecorded>().ToList();
        Assert.Equal([1, 2], segments.Select(s => s.Revision));
        Assert.All(segments, s => Assert.DoesNotContain("4111", s.Text, StringComparison.Ordinal));
    }

    [Fact]
    public void A_redelivered_partial_is_not_a_new_revision_and_keeps_its_source_key()
    {
        var run = PipelineRun.Start(Notifications()
            .At(0).Partial("my order").Redeliver()
            .At(300).Final("my order is late").Redeliver());

        var segments = run.Events.OfType<SegmentRecorded>().ToList();
        Assert.Equal([1, 2], segments.Select(s => s.Revision));
        Assert.Equal(segments[0].SourceKey, (segments[0] with { Revision = 7 }).SourceKey);
        Assert.NotEqual(segments[0].SourceKey, segments[1].SourceKey);
    }

    [Fact]
    public void A_final_redacted_differently_by_two_recorders_has_one_source_key_and_a_partial_keeps_its_words_in_it()
    {
        var run = PipelineRun.Start(Notifications()
            .At(0).Partial("six three")
            .At(300).Final("six three seven"));

        var segments = run.Events.OfType<SegmentRecorded>().ToList();
        // one instance heard "the three digits on the back?" before it, the other did not
        Assert.Equal((segments[1] with { Text = "[CVV]" }).SourceKey, (segments[1] with { Text = "[NUMBER]" }).SourceKey);
        Assert.NotEqual((segments[0] with { Text = "[CVV]" }).SourceKey, (segments[0] with { Text = "[NUMBER]" }).SourceKey);
        // and the final's key names no words: nothing derived from what was said outlives the call's erasure
        Assert.DoesNotContain(":F:", segments[1].SourceKey, StringComparison.Ordinal);
    }

    [Fact]
    public void A_disconnected_interval_becomes_a_gap_for_every_call_on_the_socket()
    {
        using var run = new PipelineRun();
        run.AdvanceTo(4_000);
        run.Send(new SourceDisconnected(["a", "b"], run.Origin, "socket dropped", run.Origin.AddSeconds(4)));

        run.Messages.Of((CoverageGapRecorded g) => (g.ConversationId, g.Kind, g.To - g.From)).AssertEqual(
            OnNext(4_000, ("a", GapKind.Disconnected, TimeSpan.FromSeconds(4))),
            OnNext(4_000, ("b", GapKind.Disconnected, TimeSpan.FromSeconds(4))));
    }

    [Fact]
    public void A_silent_call_ends_its_group_after_the_idle_time()
    {
        var run = PipelineRun.Start(new PipelineOptions { CallIdle = 30.Seconds() }, Media().At(0).Final("hello"));

        run.Messages.Of((CallEnded e) => e.At).AssertEqual(OnNext(30_000, run.Origin.AddSeconds(30)));
    }

    [Fact]
    public void A_final_ending_in_an_unsettled_number_is_held_and_recorded_redacted_when_the_next_final_completes_a_card()
    {
        var run = PipelineRun.Start(new PipelineOptions { HoldUnsettled = 2.Seconds() }, Notifications()
            .At(0).Final("the number is 4539 1488")
            .At(1_000).Final("0343 6467"));

        Texts(run).AssertEqual(OnNext(1_000, "the number is [CARD]"), OnNext(1_000, "[CARD]"));
    }

    [Fact]
    public void A_held_final_goes_out_unchanged_when_nothing_follows_within_the_hold()
    {
        var run = PipelineRun.Start(new PipelineOptions { HoldUnsettled = 2.Seconds() }, Notifications()
            .At(0).Final("it is 1234")
            .Final("hello", Speakers.Agent));

        Texts(run).AssertEqual(OnNext(0, "hello"), OnNext(2_000, "it is 1234"));
    }

    [Fact]
    public void When_the_source_ends_a_held_final_is_still_recorded_and_the_call_end_says_why()
    {
        using var run = new PipelineRun(new PipelineOptions { HoldUnsettled = 2.Seconds() });
        run.Play(Notifications().At(0).Final("it is 1234"));
        run.AdvanceTo(500);

        run.Stop();

        Texts(run).AssertEqual(OnNext(500, "it is 1234"), OnCompleted<string>(500));
        Assert.Contains("recorder stopped", Assert.Single(run.Events.OfType<CallEnded>()).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_frame_is_quarantined_redacted_and_the_stream_goes_on()
    {
        var run = PipelineRun.Start(Media()
            .At(0).Malformed("{\"text\": \"card 4111 1111 1111 1111\"", "truncated JSON")
            .At(1_000).Final("still here"));

        var q = Assert.Single(run.Events.OfType<FrameQuarantined>());
        Assert.DoesNotContain("4111", q.RedactedFrame, StringComparison.Ordinal);
        Texts(run).AssertEqual(OnNext(1_000, "still here"));
    }

    [Fact]
    public void A_malformed_frame_is_redacted_with_the_pipelines_redaction_options()
    {
        const string frame = "{\"text\": \"the card ending in 4242 was declined\"";
        var keeping = new PipelineOptions { Redaction = new RedactionOptions { KeepCardLastFour = true } };
        var masked = PipelineRun.Start(Media().At(0).Malformed(frame, "truncated JSON"));
        var kept = PipelineRun.Start(keeping, Media().At(0).Malformed(frame, "truncated JSON"));

        Assert.DoesNotContain("4242", Assert.Single(masked.Events.OfType<FrameQuarantined>()).RedactedFrame, StringComparison.Ordinal);
        Assert.Contains("4242", Assert.Single(kept.Events.OfType<FrameQuarantined>()).RedactedFrame, StringComparison.Ordinal);
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

    /// <summary>A phrase as the archive (or the store) holds it; its offset is when it was said, which a script's time also is.</summary>
    private static TranscriptReceived Said(string utterance, string text, long offset, bool stored = true, string channel = Speakers.Customer) =>
        new("call-1", channel, utterance, true, text, offset, 300, null, null, null, "notifications", stored, T0) { CommunicationId = "comm-call-1" };

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

    /// <summary>Plays the live side, stops the source after it, and waits for the backfill (which runs off the scheduler) and the end.</summary>
    private static async Task<PipelineRun> RunToEndAsync(CallScript live, ITranscriptArchive archive, IRecordedFinals? recorded = null)
    {
        var run = new PipelineRun(new PipelineOptions(), archive, recorded);
        run.Play(live);
        run.AdvanceTo(live.Frames(run.Origin)[^1].At);
        run.Stop();
        await run.Ended.WaitAsync(TimeSpan.FromSeconds(10));
        return run;
    }

    [Fact]
    public async Task When_the_store_cannot_say_what_others_heard_the_backfill_still_records_what_this_recorder_did_not_hear()
    {
        var archive = new StoredTranscript(Said("s0", "hello there", 1_000), Said("s1", "my name is on the account", 5_000));

        using var run = await RunToEndAsync(Notifications()
            .At(1_000).Final("hello there")
            .At(2_000).SocketDrop(6.Seconds())
            .End(), archive, new StoreDown());

        Assert.Equal(5_000, Assert.Single(run.Events.OfType<SegmentRecorded>(), s => s.Backfilled).OffsetMs);
        Assert.Empty(run.Events.OfType<BackfillFailed>());
    }

    [Fact]
    public async Task What_a_killed_or_parallel_recorder_already_recorded_is_not_backfilled_again_and_what_nobody_heard_is()
    {
        // the agent says the same words twice; only the first time was heard, by a recorder that was then killed
        var archive = new StoredTranscript(
            Said("s0", "let me check that for you one moment please", 1_000),
            Said("s1", "let me check that for you one moment please", 5_000),
            Said("s2", "call me on three five three seven three seven two six four zero", 7_000),
            Said("s3", "thank you", 9_000));
        // the store holds what the other recorder heard as it recorded it: redacted
        var recorded = new RecordedElsewhere(
            Said("a", "let me check that for you one moment please", 1_000, stored: false),
            Said("b", "call me on [PHONE]", 7_000, stored: false));

        // this recorder took over after the first utterance: it was not running, so it records that gap, then hears the last
        using var run = await RunToEndAsync(Notifications()
            .At(0).SocketDrop(8.Seconds(), "the recorder was not running")
            .At(9_000).Final("thank you")
            .End(), archive, recorded);

        var backfilled = Assert.Single(run.Events.OfType<SegmentRecorded>(), s => s.Backfilled);
        Assert.Equal(5_000, backfilled.OffsetMs);
    }

    [Fact]
    public async Task An_answer_another_recorder_masked_without_its_question_is_not_backfilled_again_as_the_code_it_was()
    {
        var archive = new StoredTranscript(
            Said("s0", "and the three digits on the back of the card", 1_000, channel: Speakers.Agent),
            Said("s1", "six three seven", 4_000),
            Said("s2", "thank you", 9_000, channel: Speakers.Agent));
        // the other recorder missed the question, so it masked the answer as a bare number; the backfill, which reads the
        // whole stored transcript, masks it as the code it answers
        var recorded = new RecordedElsewhere(Said("b", "[NUMBER]", 4_000, stored: false));

        using var run = await RunToEndAsync(Notifications()
            .At(0).SocketDrop(8.Seconds(), "the recorder was not running")
            .At(9_000).Final("thank you", Speakers.Agent)
            .End(), archive, recorded);

        Assert.Equal([1_000L], run.Events.OfType<SegmentRecorded>().Where(s => s.Backfilled).Select(s => s.OffsetMs));
    }

    [Fact]
    public async Task A_backfilled_answer_is_redacted_in_the_context_it_was_said_in_not_after_the_whole_call()
    {
        // the answer to the agent's question was lost live; by the call's end the question is many turns back
        const string Question = "can i have the three digits on the back of the card";
        string[] after = ["thank you", "is there anything else", "no that is all", "great have a nice day", "you too", "goodbye"];
        static string SpeakerOf(int i) => i % 2 == 0 ? Speakers.Agent : Speakers.Customer;
        var stored = new List<TranscriptReceived> { Said("s0", Question, 1_000, channel: Speakers.Agent), Said("s1", "four five six", 4_000) };
        stored.AddRange(after.Select((text, i) => Said($"s{i + 2}", text, 8_000 + (i * 3_000), channel: SpeakerOf(i))));

        var live = Notifications()
            .At(1_000).Final(Question, Speakers.Agent)
            .At(4_000).Partial("four");
        foreach (var (text, i) in after.Select((text, i) => (text, i)))
        {
            live.At(8_000 + (i * 3_000)).Final(text, SpeakerOf(i), utterance: $"c{i}");
        }
        using var run = await RunToEndAsync(live.End(), new StoredTranscript([.. stored]));

        var backfilled = Assert.Single(run.Events.OfType<SegmentRecorded>(), s => s.Backfilled);
        Assert.Equal("[CVV]", backfilled.Text);
    }

    [Fact]
    public async Task After_a_call_with_gaps_what_the_stored_transcript_holds_and_was_not_heard_is_recorded_backfilled_and_redacted()
    {
        var archive = new StoredTranscript(
            Said("s0", "hello there", 1_000),
            // said 200 ms after the first: close enough to be mistaken for it if one live final could count twice
            Said("s1", "my card is 4111 1111 1111 1111", 1_200),
            Said("s2", "thank you", 9_000));

        using var run = await RunToEndAsync(Notifications()
            .At(1_000).Final("hello there")
            .At(1_200).Partial("my card")
            .At(9_000).Final("thank you", utterance: "c")
            .End(), archive);

        Assert.Equal(1, archive.Fetches);
        var backfilled = Assert.Single(run.Events.OfType<SegmentRecorded>(), s => s.Backfilled);
        Assert.Equal("my card is [CARD]", backfilled.Text);
        Assert.True(backfilled.IsFinal);
        Assert.IsType<CallEnded>(run.Events[^1]);
    }

    [Fact]
    public async Task A_call_heard_without_gaps_never_asks_for_its_stored_transcript()
    {
        var archive = new StoredTranscript(Said("s0", "hello there", 1_000));

        using var run = await RunToEndAsync(Notifications().At(1_000).Final("hello there").End(), archive);

        Assert.Equal(0, archive.Fetches);
        Assert.DoesNotContain(run.Events.OfType<SegmentRecorded>(), s => s.Backfilled);
    }

    /// <summary>One media-dialect frame as the socket carries it, decoded as the media source decodes it.</summary>
    private static SourceEvent MediaFrame(long seq, bool final, string text, DateTimeOffset now) =>
        Assert.Single(ComplianceRecorder.Genesys.MediaSource.Decode("call-1",
            $$"""[{"eventType":"transcription","eventSequence":{{seq}},"mediaSessionId":"call-1","transcript":"{{text}}","isPartial":{{(final ? "false" : "true")}},"timestamp":"{{now:O}}"}]""",
            now));

    [Fact]
    public void Media_messages_swapped_in_the_reorder_window_are_numbered_by_sequence_so_no_revision_is_lost()
    {
        // utterances: 1-2, 3-5, 6-7, 8-10 (partials, then the final); through the real decoder, so sent frame by frame
        var finals = new long[] { 2, 5, 7, 10 };
        using var run = new PipelineRun();
        foreach (var seq in new long[] { 1, 2, 3, 4, 5, 6, 8, 7, 9, 10 })
        {
            run.AdvanceBy(1.Seconds());
            run.Send(MediaFrame(seq, finals.Contains(seq), $"m{seq}", run.Origin.AddSeconds(seq)));
        }
        run.Send(new CallFinished("call-1", "SESSION_ENDED", run.Scheduler.Now));

        var segments = run.Events.OfType<SegmentRecorded>().ToList();
        Assert.Equal(Enumerable.Range(1, 10).Select(s => $"m{s}"), segments.Select(s => s.Text));
        var utterance = segments.ToDictionary(s => s.SourceSequence!.Value, s => s.UtteranceId);
        Assert.Equal(utterance[8], utterance[10]);
        Assert.Equal(utterance[6], utterance[7]);
        Assert.NotEqual(utterance[7], utterance[8]);
        Assert.Equal([1, 2, 3], segments.Where(s => s.UtteranceId == utterance[10]).Select(s => s.Revision));
        Assert.Empty(run.Events.OfType<CoverageGapRecorded>());
    }

    [Theory]
    [InlineData("partial")]
    [InlineData("final")]
    [InlineData("partial, final")]
    public void Frames_after_the_calls_end_are_recorded_as_late_arrivals_never_as_its_speech(string late)
    {
        var call = Notifications()
            .At(0).Partial("my order", utterance: "a").Final("my order is late", utterance: "a")
            .At(1_000).End()
            .At(2_000);
        foreach (var kind in late.Split(", "))
        {
            _ = kind == "final" ? call.Final("and another thing", utterance: "b", offset: 4_000) : call.Partial("and another thing", utterance: "a", offset: 4_000);
        }
        var run = PipelineRun.Start(call.End());

        Texts(run).AssertEqual(OnNext(0, "my order"), OnNext(0, "my order is late"));
        run.Messages.Of((CallStarted e) => e.ConversationId).AssertEqual(OnNext(0, "call-1"));
        run.Messages.Of((CallEnded e) => e.ConversationId).AssertEqual(OnNext(1_000, "call-1"));
        var gaps = run.Events.OfType<CoverageGapRecorded>().ToList();
        Assert.Equal(late.Split(", ").Length, gaps.Count);
        Assert.All(gaps, g => Assert.Equal(GapKind.LateArrival, g.Kind));
        Assert.All(gaps, g => Assert.DoesNotContain("another", g.Detail, StringComparison.Ordinal));
        Assert.IsType<CallEnded>(run.Events[^(gaps.Count + 1)]);
    }

    [Fact]
    public void A_call_ended_by_silence_and_one_ended_by_a_stop_each_say_which()
    {
        using var run = new PipelineRun(new PipelineOptions { CallIdle = 30.Seconds() });
        run.Play(Media().At(0).Final("hello"), Call.Script("call-2").At(31_000).Final("hi"));
        run.AdvanceTo(36_000);

        run.Stop();

        run.Messages.Of((CallEnded e) => (e.ConversationId, e.Reason)).AssertEqual(
            OnNext(30_000, ("call-1", "no transcript within the idle time: the call's end was not heard")),
            OnNext(36_000, ("call-2", "the recorder stopped before the call's end was heard")),
            OnCompleted<(string, string)>(36_000));
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
        using var run = await RunToEndAsync(Notifications()
            .At(1_000).Final("hello there")
            .At(2_000).SocketDrop(2.Seconds())
            .End(), new UnreachableArchive());

        var failed = Assert.Single(run.Events.OfType<BackfillFailed>());
        Assert.Equal("call-1", failed.ConversationId);
        Assert.Equal("HttpRequestException: GET of the stored transcript failed with 503", failed.Reason);
        Assert.IsType<CallEnded>(run.Events[^1]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1500)]
    [InlineData(-1500)]
    [InlineData(2000)]
    public async Task Stored_phrases_drifted_from_the_live_times_are_matched_by_overlap_and_words_neither_doubled_nor_dropped(long drift)
    {
        var archive = new StoredTranscript(
            Said("s0", "hello there how can I help", 1_000 + drift),
            // said just after the first, in other words: not heard live, whatever the drift
            Said("s1", "my card is 4111 1111 1111 1111", 2_500 + drift),
            Said("s2", "thank you so much", 9_000 + drift),
            Said("s3", "thank you", 10_500 + drift));

        using var run = await RunToEndAsync(Notifications()
            .At(1_000).Final("hello there how can I help")
            .At(2_000).SocketDrop(2.Seconds())
            .At(9_000).Final("thank you so much")
            .End(), archive);

        Assert.Equal(["my card is [CARD]", "thank you"], run.Events.OfType<SegmentRecorded>().Where(s => s.Backfilled).Select(s => s.Text));
    }
}
