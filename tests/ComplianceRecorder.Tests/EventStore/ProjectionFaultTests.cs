using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.Health;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComplianceRecorder.Tests.EventStore;

/// <summary>A row the metrics projection cannot take: it is retried, and readiness names it instead of a log repeating it.</summary>
public sealed class ProjectionFaultTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task A_projection_stuck_behind_one_event_is_named_by_readiness_as_degraded_and_clears_when_a_step_succeeds()
    {
        // a window whose figure is not a number: the recorder never writes one, a hand-made append can
        await using (var cmd = db.DataSource.CreateCommand("""
            SELECT seq FROM append_events(ARRAY['$metrics'], ARRAY[NULL]::integer[], ARRAY['metrics_window_closed'], ARRAY[1],
              ARRAY['{"scope":"all","windowStart":"2026-11-28T10:00:00Z","windowEnd":"2026-11-28T10:00:10Z","segments":1,"tokens":1,"gaps":0,"p50Ms":"fast","p95Ms":1,"p99Ms":1,"maxMs":1}'::jsonb],
              ARRAY['{}'::jsonb], ARRAY['poison'], 'test')
            """))
        {
            await cmd.ExecuteScalarAsync();
        }
        var daemon = new ProjectionDaemon(db.DataSource, TimeProvider.System, NullLogger.Instance);
        var check = new ProjectionHealthCheck(daemon);

        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        for (var i = 1; i <= ProjectionHealthCheck.Stuck; i++)
        {
            await Assert.ThrowsAnyAsync<Npgsql.PostgresException>(() => daemon.StepAsync());
            Assert.Equal(i, daemon.Fault!.Attempts);
        }

        var stuck = await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, stuck.Status);
        Assert.Equal("22P02", stuck.Data["error"]);
        Assert.DoesNotContain("fast", stuck.Description, StringComparison.Ordinal);
        Assert.Contains($"after seq {daemon.Checkpoint}", stuck.Description, StringComparison.Ordinal);

        // once the row can be taken (here: the owner projects it by hand), the next step clears the fault
        await using (var owner = db.OwnerDataSource.CreateCommand("""
            INSERT INTO progression (name, last_seq) SELECT 'metrics', max(seq) FROM events
            ON CONFLICT (name) DO UPDATE SET last_seq = excluded.last_seq
            """))
        {
            await owner.ExecuteNonQueryAsync();
        }
        await daemon.StepAsync();
        Assert.Null(daemon.Fault);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
    }
}
