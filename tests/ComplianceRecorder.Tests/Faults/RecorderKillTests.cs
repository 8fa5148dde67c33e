using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComplianceRecorder.Tests.Faults;

/// <summary>The recorder process is killed with SIGKILL in the middle of calls and started again.</summary>
public sealed class RecorderKillTests(Database db) : IClassFixture<Database>
{
    private const string Projections = """
        SELECT string_agg(t, E'\n' ORDER BY t) FROM (
          SELECT a::text AS t FROM audit_log a UNION ALL SELECT s::text FROM call_summaries s
          UNION ALL SELECT w::text FROM metrics_windows w UNION ALL SELECT d::text FROM metrics_daily d) x
        """;

    [Fact]
    public async Task After_a_kill_and_restart_committed_events_stand_chains_verify_projections_equal_a_rebuild_and_the_lost_time_is_a_gap()
    {
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 2 });
        var settings = RecorderProcess.Settings(emulator, db.ConnectionString);
        settings["Recorder:CallIdleSeconds"] = "3";
        var calls = emulator.Scenario.Calls.Count;

        string committed;
        long lastSeq;
        DateTimeOffset killedAt;
        var secondOutput = "";
        await using (var first = RecorderProcess.Start(settings))
        {
            // every call under way and words recorded on each: then the kernel ends the process
            await Until(async () => await db.ScalarAsync<long>("SELECT count(DISTINCT stream_id) FROM events WHERE type = 'segment_recorded'") == calls, first);
            await first.KillAsync();
            killedAt = DateTimeOffset.UtcNow;
            lastSeq = await db.ScalarAsync<long>("SELECT max(seq) FROM events");
            committed = await db.ScalarAsync<string>("SELECT string_agg(seq || ':' || encode(hash, 'hex'), ',' ORDER BY seq) FROM events");
        }
        await using (var second = RecorderProcess.Start(settings))
        {
            await Until(async () => await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended'") == calls, second);
            var code = await second.TerminateAsync(TimeSpan.FromSeconds(30));
            secondOutput = second.Output;
            Assert.True(code == 0, $"exit {code}:\n{second.Output}");
        }

        // what was committed before the kill is all there, unchanged
        Assert.Equal(committed, await db.ScalarAsync<string>($"SELECT string_agg(seq || ':' || encode(hash, 'hex'), ',' ORDER BY seq) FROM events WHERE seq <= {lastSeq}"));
        Assert.True((await ChainVerifier.VerifyAsync(db.DataSource)).Ok);
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(DISTINCT writer) FROM events"));
        Assert.Equal((long)calls, await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_started'"));
        Assert.Equal((long)calls, await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended'"));
        // each call lost the time nobody listened, and says so
        var gaps = await db.ScalarAsync<long>($"""
            SELECT count(DISTINCT stream_id) FROM events
             WHERE type = 'coverage_gap_recorded' AND data->>'kind' = 'Disconnected'
               AND data->>'detail' LIKE '%recorder was not running%'
               AND (data->>'from')::timestamptz <= '{killedAt:O}' AND (data->>'to')::timestamptz >= '{killedAt:O}'
            """);
        Assert.True(calls == gaps, await db.ScalarAsync<string>("SELECT coalesce(string_agg(stream_id || ' ' || (data->>'from') || ' ' || (data->>'to') || ' ' || (data->>'detail'), E'\n'), 'none') FROM events WHERE type = 'coverage_gap_recorded'") + $" killed {killedAt:O}\n" + secondOutput);

        await AssertProjectionsEqualARebuildAsync(db);
    }

    /// <summary>The projections caught up live, then rebuilt from the events: row for row the same.</summary>
    internal static async Task AssertProjectionsEqualARebuildAsync(Database db)
    {
        var daemon = new ProjectionDaemon(db.DataSource, TimeProvider.System, NullLogger.Instance);
        while (await daemon.StepAsync() > 0)
        {
        }
        var live = await db.ScalarAsync<string>(Projections);
        foreach (var projection in Rebuilder.Projections)
        {
            await Rebuilder.RebuildAsync(db.OwnerDataSource, projection);
        }
        Assert.Equal(live, await db.ScalarAsync<string>(Projections));
    }

    private static async Task Until(Func<Task<bool>> done, RecorderProcess process, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out; the recorder printed:\n" + process.Output);
            await Task.Delay(100);
        }
    }
}
