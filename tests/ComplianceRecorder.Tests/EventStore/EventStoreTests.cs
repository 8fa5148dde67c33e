using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.Infrastructure;
using Npgsql;

namespace ComplianceRecorder.Tests.EventStore;

public sealed class EventStoreTests(Database db) : IClassFixture<Database>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    internal static SegmentRecorded Segment(string call, string utterance, int revision, bool final, string text = "hello [CARD]", int cards = 1) =>
        new(call, "EXTERNAL", utterance, revision, final, text, text.Length + 10, text.Length, 2,
            cards > 0 ? new Dictionary<string, int> { ["CARD"] = cards } : [], 1000 * revision, 500, null, null,
            T0, T0.AddMilliseconds(40), T0.AddMilliseconds(41), 40, false, "notifications");


    [Fact]
    public async Task Appending_a_batch_gives_consecutive_versions_and_inline_audit_rows()
    {
        var call = "call-" + Guid.NewGuid();
        var result = await db.Store().AppendAsync([
            new PendingEvent(new CallStarted(call, "notifications", T0)),
            new PendingEvent(Segment(call, "u1", 1, false)),
            new PendingEvent(Segment(call, "u1", 2, true)),
        ]);

        Assert.Equal([1, 2, 3], result.Select(r => r.Version));
        Assert.True(result[0].Seq < result[1].Seq && result[1].Seq < result[2].Seq);
        Assert.Equal(2L, await db.ScalarAsync<long>($"SELECT count(*) FROM audit_log WHERE conversation_id = '{call}'"));
        Assert.Equal("PII_REDACTED", await db.ScalarAsync<string>($"SELECT compliance_flag FROM audit_log WHERE conversation_id = '{call}' AND revision = 2"));
        Assert.Equal(1, await db.ScalarAsync<int>($"SELECT finals FROM call_summaries WHERE conversation_id = '{call}'"));
    }

    [Fact]
    public async Task A_redelivered_utterance_revision_is_not_a_second_event()
    {
        var call = "call-" + Guid.NewGuid();
        var first = await db.Store("writer-a").AppendAsync([new PendingEvent(Segment(call, "u1", 1, true))]);
        var again = await db.Store("writer-b").AppendAsync([new PendingEvent(Segment(call, "u1", 1, true))]);

        Assert.False(first[0].Duplicate);
        Assert.True(again[0].Duplicate);
        Assert.Equal(first[0].Seq, again[0].Seq);
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id = '{call}'"));
        Assert.Equal("writer-a", await db.ScalarAsync<string>($"SELECT writer FROM events WHERE stream_id = '{call}'"));
    }

    [Fact]
    public async Task An_access_a_quarantined_frame_or_an_unnumbered_gap_appended_again_as_a_retry_or_a_spill_replay_is_not_a_second_event()
    {
        var call = "call-" + Guid.NewGuid();
        var tag = Guid.NewGuid().ToString("N");
        var access = new ReportAccessed("auditor", "/api/reports/audit", tag, T0);
        var frame = new FrameQuarantined("not JSON: " + tag, "{oops", 5, T0);
        var gap = new CoverageGapRecorded(call, "EXTERNAL", GapKind.MissingFinal, T0, T0.AddSeconds(3), null, null, 1, "no final");
        // a spill file holds them as JSON: what is read back is the same event, not a look-alike
        var replayed = EventJson.Deserialize(ReportAccessed.TypeName, 1, EventJson.Serialize(access))!;

        await db.Store().AppendAsync([new PendingEvent(access), new PendingEvent(frame), new PendingEvent(gap)]);
        var again = await db.Store().AppendAsync([new PendingEvent(replayed), new PendingEvent(frame), new PendingEvent(gap)]);

        Assert.All(again, a => Assert.True(a.Duplicate));
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'report_accessed' AND data->>'query' = '{tag}'"));
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'frame_quarantined' AND data->>'reason' LIKE '%{tag}'"));
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id = '{call}'"));

        // two reads alike in every field, made apart, stay two
        await db.Store().AppendAsync([new PendingEvent(new ReportAccessed("auditor", "/api/reports/audit", tag, T0))]);
        Assert.Equal(2L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'report_accessed' AND data->>'query' = '{tag}'"));
    }

    [Fact]
    public async Task A_wrong_expected_version_raises_a_concurrency_error_and_appends_nothing()
    {
        var call = "call-" + Guid.NewGuid();
        await db.Store().AppendAsync([new PendingEvent(Segment(call, "u1", 1, true))]);

        await Assert.ThrowsAsync<ConcurrencyException>(() =>
            db.Store().AppendAsync([new PendingEvent(Segment(call, "u2", 1, true), ExpectedVersion: 0)]));
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id = '{call}'"));
    }

    [Theory]
    [InlineData("UPDATE events SET type = 'x'")]
    [InlineData("DELETE FROM events")]
    [InlineData("TRUNCATE events CASCADE")]
    public async Task The_database_refuses_to_change_recorded_events_even_for_their_owner(string sql)
    {
        await db.Store().AppendAsync([new PendingEvent(Segment("call-" + Guid.NewGuid(), "u1", 1, true))]);

        var e = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var cmd = db.OwnerDataSource.CreateCommand(sql);
            await cmd.ExecuteNonQueryAsync();
        });
        Assert.Contains("append-only", e.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_names_the_event_a_superuser_altered_behind_the_triggers()
    {
        var call = "call-" + Guid.NewGuid();
        await db.Store().AppendAsync([.. Enumerable.Range(1, 5).Select(i => new PendingEvent(Segment(call, $"u{i}", 1, true)))]);
        Assert.DoesNotContain((await ChainVerifier.VerifyAsync(db.DataSource)).Broken, b => b.StreamId == call);

        await using (var cmd = db.OwnerDataSource.CreateCommand($"""
            SET session_replication_role = replica;
            UPDATE events SET data = jsonb_set(data, '{"{text}"}', '"hellO [CARD]"') WHERE stream_id = '{call}' AND version = 3;
            SET session_replication_role = origin;
            """))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        var report = await ChainVerifier.VerifyAsync(db.DataSource);
        var broken = Assert.Single(report.Broken, b => b.StreamId == call);
        Assert.Equal(3, broken.Version);
    }

    [Fact]
    public async Task Rebuilt_audit_tables_equal_the_live_ones_row_for_row()
    {
        for (var c = 0; c < 3; c++)
        {
            var call = $"rebuild-{c}-{Guid.NewGuid()}";
            await db.Store().AppendAsync([
                new PendingEvent(new CallStarted(call, "media", T0)),
                .. Enumerable.Range(1, 4).Select(i => new PendingEvent(Segment(call, $"u{i}", 1, i % 2 == 0, cards: i % 3))),
                new PendingEvent(new CoverageGapRecorded(call, "EXTERNAL", GapKind.SequenceGap, T0, T0.AddSeconds(1), 4, 7, 2, "eventSequence jumped")),
                new PendingEvent(new CallEnded(call, "SESSION_ENDED", T0.AddMinutes(1))),
            ]);
        }
        const string Snapshot = """
            SELECT string_agg(t::text, E'\n' ORDER BY t::text) FROM (
              SELECT a::text AS t FROM audit_log a UNION ALL SELECT s::text FROM call_summaries s) x
            """;
        var live = await db.ScalarAsync<string>(Snapshot);

        await Rebuilder.RebuildAsync(db.OwnerDataSource, "audit");

        Assert.Equal(live, await db.ScalarAsync<string>(Snapshot));
        Assert.Contains("rebuild-2", live, StringComparison.Ordinal);
    }
}
