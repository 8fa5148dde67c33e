using Npgsql;

namespace ComplianceRecorder.EventStore.Projections;

/// <summary>
/// Rebuilds a projection by replaying every event through the same SQL the live path uses (the
/// audit views, the metrics function), so a rebuilt table cannot drift from the live one.
/// </summary>
public static class Rebuilder
{
    public static readonly string[] Projections = ["audit", "metrics"];

    public static Task<long> RebuildAsync(NpgsqlDataSource db, string projection, CancellationToken ct = default) => projection switch
    {
        "audit" => RebuildAuditAsync(db, ct),
        "metrics" => RebuildMetricsAsync(db, ct),
        _ => throw new ArgumentException($"unknown projection '{projection}'; known: {string.Join(", ", Projections)}", nameof(projection)),
    };

    /// <summary>
    /// Truncates the metrics tables and replays every metrics event below the high-water mark through
    /// project_metrics, the function the daemon uses, under the daemon's own per-projection lock.
    /// </summary>
    private static async Task<long> RebuildMetricsAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        var hw = await ProjectionDaemon.ReadHighWaterAsync(conn, ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var cmd = new NpgsqlCommand($"""
            SELECT pg_advisory_xact_lock(hashtext('projection:{ProjectionDaemon.Name}'));
            TRUNCATE metrics_windows, metrics_daily;
            SELECT count(project_metrics(seq, data)) FROM (
              SELECT seq, data FROM events WHERE type = 'metrics_window_closed' AND seq <= {hw} ORDER BY seq) replayed;
            INSERT INTO progression (name, last_seq, skipped)
            VALUES ('{ProjectionDaemon.Name}', {hw}, {hw} - (SELECT count(*) FROM events WHERE seq <= {hw}))
            ON CONFLICT (name) DO UPDATE SET last_seq = excluded.last_seq, skipped = excluded.skipped, updated_at = clock_timestamp();
            """, conn, tx))
        {
            cmd.CommandTimeout = 0;
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return hw;
    }

    private static async Task<long> RebuildAuditAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var cmd = new NpgsqlCommand("""
            LOCK TABLE audit_log, call_summaries IN EXCLUSIVE MODE;
            TRUNCATE audit_log, call_summaries;
            INSERT INTO audit_log SELECT * FROM audit_log_source;
            INSERT INTO call_summaries SELECT * FROM call_summaries_source;
            """, conn, tx))
        {
            cmd.CommandTimeout = 0;
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await using var count = new NpgsqlCommand("SELECT count(*) FROM events", conn, tx);
        var n = (long)(await count.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        await using (var progress = new NpgsqlCommand(
            "INSERT INTO progression (name, last_seq) VALUES ('audit', coalesce((SELECT max(seq) FROM events), 0)) ON CONFLICT (name) DO UPDATE SET last_seq = excluded.last_seq, updated_at = clock_timestamp()", conn, tx))
        {
            await progress.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return n;
    }
}
