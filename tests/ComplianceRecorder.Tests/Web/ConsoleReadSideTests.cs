using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.ReadSide;
using ComplianceRecorder.Tests.EventStore;
using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.Web;

/// <summary>The console's queries against scripted events in a store of their own.</summary>
public sealed class ConsoleReadSideTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task Unheard_seconds_are_the_union_of_the_lost_spans_and_missing_finals_are_counted_in_the_list_and_timeline_alike()
    {
        var call = "gaps-" + Guid.NewGuid();
        var t0 = new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);
        CoverageGapRecorded Gap(GapKind kind, double from, double to, long? a = null, long? b = null) =>
            new(call, "EXTERNAL", kind, t0.AddSeconds(from), t0.AddSeconds(to), a, b, 0, $"{kind} {from}-{to}");
        // the first final puts the call's clock at t0: source time 1 s, offset 0, duration 1 s
        var final = EventStoreTests.Segment(call, "u1", 1, true) with { OffsetMs = 0, DurationMs = 1000, SourceTime = t0.AddSeconds(1) };
        await db.Store("t").AppendAsync([
            new PendingEvent(new CallStarted(call, "notifications", t0)),
            new PendingEvent(final),
            // 10–20 s down, heard as a sequence gap 15–25 s too: 15 s, not 20
            new PendingEvent(Gap(GapKind.Disconnected, 10, 20)),
            new PendingEvent(Gap(GapKind.SequenceGap, 15, 25, 7, 9)),
            // offsets skipped 30–40 s and 38–45 s (from == to on the wall clock): 15 s, not 0
            new PendingEvent(Gap(GapKind.OffsetJump, 50, 50, 30_000, 40_000)),
            new PendingEvent(Gap(GapKind.OffsetJump, 51, 51, 38_000, 45_000)),
            // the end's missing finals span the wait for the end: counted, not time
            new PendingEvent(Gap(GapKind.MissingFinal, 46, 60) with { Detail = "utterance a never got a final" }),
            new PendingEvent(Gap(GapKind.MissingFinal, 47, 60) with { Detail = "utterance b never got a final" }),
            new PendingEvent(Gap(GapKind.LateArrival, 61, 61, 12, 12)),
            new PendingEvent(new CallEnded(call, "ended", t0.AddSeconds(60))),
        ]);

        var row = Assert.Single(await ConsoleCalls.ListAsync(db.DataSource, CallFilter.Default with { Search = call }, default));
        var timeline = (await CallTimelines.ReadAsync(db.DataSource, call, default))!;

        Assert.Equal(30.0, row.UnheardSeconds, 3);
        Assert.Equal((2, 1), (row.MissingFinals, row.LateArrivals));
        Assert.Equal((row.UnheardSeconds, row.MissingFinals, row.LateArrivals), (timeline.Call.UnheardSeconds, timeline.Call.MissingFinals, timeline.Call.LateArrivals));
        Assert.Equal([(10_000L, 20_000L), (15_000L, 25_000L), (30_000L, 40_000L), (38_000L, 45_000L)],
            timeline.Stretches.Where(s => s.Kind == "unheard").Select(s => (s.FromMs, s.ToMs)).Order());
        Assert.Equal(3, timeline.Stretches.Count(s => s.Kind == "noted" && s.FromMs == s.ToMs));
    }

    [Fact]
    public async Task Reading_a_timeline_leaves_a_shared_pool_connection_to_its_next_user_untouched()
    {
        // one connection for both: a reader closed twice once its connection has moved on closes the next user's query
        var call = "pool-" + Guid.NewGuid();
        var t0 = new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);
        await db.Store("t").AppendAsync([
            new PendingEvent(new CallStarted(call, "notifications", t0)),
            new PendingEvent(EventStoreTests.Segment(call, "u1", 1, true) with { OffsetMs = 0, DurationMs = 1000, SourceTime = t0.AddSeconds(1) }),
            new PendingEvent(new CoverageGapRecorded(call, "EXTERNAL", GapKind.Disconnected, t0.AddSeconds(5), t0.AddSeconds(9), null, null, 0, "down")),
        ]);
        await using var one = new Npgsql.NpgsqlDataSourceBuilder(
            new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) { MaxPoolSize = 2 }.ConnectionString).Build();
        using var stop = new CancellationTokenSource();
        var neighbours = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            var queries = 0;
            while (!stop.IsCancellationRequested)
            {
                await using var cmd = one.CreateCommand("SELECT count(*) FROM events WHERE stream_id = $1");
                cmd.Parameters.AddWithValue(call);
                Assert.Equal(3L, (long)(await cmd.ExecuteScalarAsync())!);
                queries++;
            }
            return queries;
        })).ToArray();

        async Task ReadMany()
        {
            for (var i = 0; i < 2000; i++)
            {
                var timeline = await CallTimelines.ReadAsync(one, call, default);
                Assert.Equal(4000, timeline!.Stretches.Where(s => s.Kind == "unheard").Sum(s => s.ToMs - s.FromMs));
            }
        }
        // two readers of one connection wait on each other's messages for ever: a bound, not a speed goal
        await ReadMany().WaitAsync(TimeSpan.FromMinutes(2));
        await stop.CancelAsync();

        Assert.All(await Task.WhenAll(neighbours).WaitAsync(TimeSpan.FromMinutes(1)), n => Assert.True(n > 0));
    }

    [Fact]
    public async Task A_card_only_a_partial_said_is_not_a_redaction_to_the_flag_the_sort_or_the_column()
    {
        var retracted = "partial-" + Guid.NewGuid();
        var redacted = "final-" + Guid.NewGuid();
        await db.Store("t").AppendAsync([
            // the partial heard digits the final did not keep
            new PendingEvent(EventStoreTests.Segment(retracted, "u1", 1, false, "four five [CARD]", cards: 1)),
            new PendingEvent(EventStoreTests.Segment(retracted, "u1", 2, true, "for five minutes", cards: 0)),
            new PendingEvent(EventStoreTests.Segment(redacted, "u1", 1, false, "[CARD]", cards: 1)),
            new PendingEvent(EventStoreTests.Segment(redacted, "u1", 2, false, "[CARD] [CARD]", cards: 2)),
            new PendingEvent(EventStoreTests.Segment(redacted, "u1", 3, true, "[CARD]", cards: 1)),
        ]);
        async Task<IReadOnlyList<ConsoleCall>> List(CallFilter f) =>
            [.. (await ConsoleCalls.ListAsync(db.DataSource, f, default)).Where(c => c.ConversationId == retracted || c.ConversationId == redacted)];

        var flagged = await List(CallFilter.Default with { Flag = "PII_REDACTED" });
        var clean = await List(CallFilter.Default with { Flag = "CLEAN" });
        var sorted = await List(CallFilter.Default with { Sort = "redactions", Descending = false });

        Assert.Equal(redacted, Assert.Single(flagged).ConversationId);
        Assert.Equal(retracted, Assert.Single(clean).ConversationId);
        Assert.Equal([(retracted, 0), (redacted, 1)], sorted.Select(c => (c.ConversationId, c.Redactions)));
        Assert.All(sorted, c => Assert.Equal(c.Redactions, c.RedactionsByType.Values.Sum()));
    }

    [Fact]
    public async Task Throughput_is_a_buckets_segments_over_its_width_not_over_the_windows_that_had_traffic()
    {
        var from = new DateTimeOffset(2031, 5, 1, 0, 0, 0, TimeSpan.Zero);
        // one busy 10 s window in an hour of 240 buckets of 15 s: 150 segments over 15 s, not over 10 s
        await using (var insert = db.OwnerDataSource.CreateCommand("""
            INSERT INTO metrics_windows VALUES ('all', $1, $1 + interval '10 seconds', 150, 300, 0, 5, 8, 9, 10, 1)
            """))
        {
            insert.Parameters.AddWithValue(from.AddMinutes(30));
            await insert.ExecuteNonQueryAsync();
        }

        var view = await ConsoleMetrics.ReadAsync(db.DataSource, from, from.AddHours(1), default);

        Assert.Equal(10.0, Assert.Single(view.Series).SegmentsPerSecond, 6);
    }

    [Fact]
    public async Task With_no_range_the_list_holds_the_last_day_and_the_calls_still_live()
    {
        var live = "live-" + Guid.NewGuid();
        var ended = "ended-" + Guid.NewGuid();
        await db.Store("t").AppendAsync([
            new PendingEvent(EventStoreTests.Segment(live, "u1", 1, true)),
            new PendingEvent(EventStoreTests.Segment(ended, "u1", 1, true)),
            new PendingEvent(new CallEnded(ended, "ended", DateTimeOffset.UtcNow)),
        ]);
        // as the server would parse it two days later: the ended call is out of the default day, the live one in
        var later = CallFilter.Parse([], DateTimeOffset.UtcNow.AddDays(2));

        var listed = (await ConsoleCalls.ListAsync(db.DataSource, later, default)).Select(c => c.ConversationId).ToList();

        Assert.Contains(live, listed);
        Assert.DoesNotContain(ended, listed);
    }
}
