using System.Text.Json;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ComplianceRecorder.Tests.EventStore;

public sealed class ProjectionDaemonTests(Database db) : IClassFixture<Database>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private static int _window;

    private static MetricsWindowClosed Window(string scope = "all") =>
        new(scope, T0.AddSeconds(10 * Interlocked.Increment(ref _window)), T0.AddSeconds(10 * (_window + 1)), 20, 80, 3, 9, 12, 15, 1);

    private ProjectionDaemon Daemon() => new(db.DataSource, TimeProvider.System, NullLogger.Instance);

    private async Task CatchUpAsync(ProjectionDaemon daemon)
    {
        while (await daemon.StepAsync() > 0)
        {
        }
    }

    [Fact]
    public async Task Windows_are_projected_per_window_and_per_day_and_the_checkpoint_moves_with_them()
    {
        var store = db.Store("t");
        var before = await db.ScalarAsync<long>("SELECT count(*) FROM metrics_windows");
        var appended = await store.AppendAsync([new PendingEvent(Window()), new PendingEvent(Window()), new PendingEvent(Window("call-x"))]);
        var daemon = Daemon();

        await CatchUpAsync(daemon);

        Assert.Equal(before + 3, await db.ScalarAsync<long>("SELECT count(*) FROM metrics_windows"));
        Assert.True(daemon.Checkpoint >= appended.Max(a => a.Seq));
        Assert.Equal(0, daemon.Lag);
        Assert.True(await db.ScalarAsync<long>("SELECT segments FROM metrics_daily WHERE scope = 'all'") >= 40);
    }

    [Fact]
    public async Task The_high_water_mark_waits_for_an_append_still_in_flight_instead_of_skipping_it()
    {
        var daemon = Daemon();
        await CatchUpAsync(daemon);
        var slow = Window();
        await using var conn = await db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        long slowSeq;
        await using (var cmd = new NpgsqlCommand(
            "SELECT seq FROM append_events(ARRAY['$metrics'], ARRAY[NULL]::integer[], ARRAY['metrics_window_closed'], ARRAY[1], ARRAY[$1::jsonb], ARRAY['{}'::jsonb], ARRAY[$2], 'slow')", conn, tx))
        {
            cmd.Parameters.AddWithValue(EventJson.Serialize(slow));
            cmd.Parameters.AddWithValue(slow.SourceKey!);
            slowSeq = (long)(await cmd.ExecuteScalarAsync())!;
        }
        // a later append on another stream (so no row lock of the slow one holds it) commits first, with a higher sequence number
        var fast = await Task.Run(async () =>
        {
            var w = Window();
            await using var cmd = db.DataSource.CreateCommand(
                "SELECT seq FROM append_events(ARRAY['$metrics-fast'], ARRAY[NULL]::integer[], ARRAY['metrics_window_closed'], ARRAY[1], ARRAY[$1::jsonb], ARRAY['{}'::jsonb], ARRAY[$2], 'fast')");
            cmd.Parameters.AddWithValue(EventJson.Serialize(w));
            cmd.Parameters.AddWithValue(w.SourceKey!);
            return (long)(await cmd.ExecuteScalarAsync())!;
        }).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(fast > slowSeq);

        var step = daemon.StepAsync();
        // the daemon is seen waiting for the appenders' lock, which the open transaction holds shared
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await db.ScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND objid = 727274 AND mode = 'ExclusiveLock' AND NOT granted") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline && !step.IsCompleted, "the daemon must wait for a transaction that may still commit, not read past it");
            await Task.Delay(20);
        }
        Assert.False(step.IsCompleted);

        await tx.CommitAsync();
        await step.WaitAsync(TimeSpan.FromSeconds(10));
        await CatchUpAsync(daemon);

        Assert.True(daemon.Checkpoint >= slowSeq);
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM metrics_windows WHERE seq = {slowSeq}"));
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM metrics_windows WHERE seq = {fast}"));
    }

    [Fact]
    public async Task A_rolled_back_append_burns_a_number_that_is_counted_as_skipped_not_waited_for()
    {
        var daemon = Daemon();
        await CatchUpAsync(daemon);
        await using (var conn = await db.DataSource.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            var w = Window();
            await using var cmd = new NpgsqlCommand(
                "SELECT seq FROM append_events(ARRAY['$metrics'], ARRAY[NULL]::integer[], ARRAY['metrics_window_closed'], ARRAY[1], ARRAY[$1::jsonb], ARRAY['{}'::jsonb], ARRAY[$2], 'rolled-back')", conn, tx);
            cmd.Parameters.AddWithValue(EventJson.Serialize(w));
            cmd.Parameters.AddWithValue(w.SourceKey!);
            await cmd.ExecuteScalarAsync();
            await tx.RollbackAsync();
        }
        var skippedBefore = await db.ScalarAsync<long>("SELECT skipped FROM progression WHERE name = 'metrics'");
        await db.Store("t").AppendAsync([new PendingEvent(Window())]);

        await CatchUpAsync(daemon).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(skippedBefore + 1, await db.ScalarAsync<long>("SELECT skipped FROM progression WHERE name = 'metrics'"));
    }

    [Fact]
    public async Task A_rebuilt_metrics_projection_equals_the_live_one_row_for_row()
    {
        var store = db.Store("t");
        await store.AppendAsync([.. Enumerable.Range(0, 5).Select(_ => new PendingEvent(Window())), new PendingEvent(Window("call-y"))]);
        await CatchUpAsync(Daemon());
        const string Snapshot = """
            SELECT string_agg(t, E'\n' ORDER BY t) FROM (
              SELECT w::text AS t FROM metrics_windows w UNION ALL SELECT d::text FROM metrics_daily d) x
            """;
        var live = await db.ScalarAsync<string>(Snapshot);

        await Rebuilder.RebuildAsync(db.OwnerDataSource, "metrics");

        Assert.Equal(live, await db.ScalarAsync<string>(Snapshot));
    }

    [Fact]
    public async Task Of_two_daemons_only_one_leads()
    {
        using var cts = new CancellationTokenSource();
        var a = Daemon();
        var b = Daemon();
        var runs = new[] { a.RunAsync(cts.Token), b.RunAsync(cts.Token) };
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(a.IsLeader || b.IsLeader) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        await Task.Delay(300);

        Assert.True(a.IsLeader ^ b.IsLeader);
        await cts.CancelAsync();
        await Task.WhenAll(runs.Select(r => r.ContinueWith(_ => { })));
    }
}
