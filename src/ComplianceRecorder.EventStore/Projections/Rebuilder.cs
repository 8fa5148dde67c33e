using Npgsql;

namespace ComplianceRecorder.EventStore.Projections;

/// <summary>
/// Rebuilds a projection by replaying every event through the same SQL the live path uses (the
/// audit views, the metrics function), so a rebuilt table cannot drift from the live one.
/// </summary>
public static class Rebuilder
{
    public static readonly string[] Projections = ["audit", "metrics"];

    /// <param name="progress">Told the events replayed so far after each slice of the replay, ending at the total.</param>
    public static Task<long> RebuildAsync(NpgsqlDataSource db, string projection, IProgress<EventProgress>? progress = null, CancellationToken ct = default) => projection switch
    {
        "audit" => RebuildAuditAsync(db, progress, ct),
        "metrics" => RebuildMetricsAsync(db, progress, ct),
        _ => throw new ArgumentException($"unknown projection '{projection}'; known: {string.Join(", ", Projections)}", nameof(projection)),
    };

    /// <summary>
    /// Truncates the metrics tables and replays every metrics event below the high-water mark through
    /// project_metrics, the function the daemon uses, under the daemon's own per-projection lock.
    /// </summary>
    private static async Task<long> RebuildMetricsAsync(NpgsqlDataSource db, IProgress<EventProgress>? progress, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        var hw = await ProjectionDaemon.ReadHighWaterAsync(conn, ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var cmd = new NpgsqlCommand($"""
            SELECT pg_advisory_xact_lock(hashtext('projection:{ProjectionDaemon.Name}'));
            TRUNCATE metrics_windows, metrics_daily;
            """, conn, tx))
        {
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await ReplayAsync(conn, tx, hw, "type = 'metrics_window_closed'", """
            SELECT count(project_metrics(seq, data)) FROM (
              SELECT seq, data FROM events WHERE type = 'metrics_window_closed' AND seq > $1 AND seq <= $2 ORDER BY seq) replayed
            """, progress, ct).ConfigureAwait(false);
        await using (var cmd = new NpgsqlCommand($"""
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

    private static async Task<long> RebuildAuditAsync(NpgsqlDataSource db, IProgress<EventProgress>? progress, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        // appends project inline, so under this lock no event with an audit row commits: the slices below see one set
        await using (var cmd = new NpgsqlCommand("""
            LOCK TABLE audit_log, call_summaries IN EXCLUSIVE MODE;
            TRUNCATE audit_log, call_summaries;
            INSERT INTO call_summaries SELECT * FROM call_summaries_source;
            """, conn, tx))
        {
            cmd.CommandTimeout = 0;
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await using var last = new NpgsqlCommand("SELECT coalesce(max(seq), 0) FROM events", conn, tx);
        var upTo = (long)(await last.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        var n = await ReplayAsync(conn, tx, upTo, "true", """
            WITH replayed AS (INSERT INTO audit_log SELECT * FROM audit_log_source WHERE seq > $1 AND seq <= $2)
            SELECT count(*) FROM events WHERE seq > $1 AND seq <= $2
            """, progress, ct).ConfigureAwait(false);
        await using (var cmd = new NpgsqlCommand(
            $"INSERT INTO progression (name, last_seq) VALUES ('audit', {upTo}) ON CONFLICT (name) DO UPDATE SET last_seq = excluded.last_seq, updated_at = clock_timestamp()", conn, tx))
        {
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return n;
    }

    /// <summary>
    /// Runs <paramref name="slice"/> (its events counted, seq in ($1, $2]) over (0, upTo] in about a hundred
    /// slices, so a long rebuild can say how far it is; returns the events replayed.
    /// </summary>
    private static async Task<long> ReplayAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long upTo, string which, string slice, IProgress<EventProgress>? progress, CancellationToken ct)
    {
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM events WHERE {which} AND seq <= $1", conn, tx) { Parameters = { new() { Value = upTo } } };
        var total = (long)(await count.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        progress?.Report(new EventProgress(0, total));
        // a hundred steps, none so long that the display stalls
        var step = Math.Clamp((upTo + 99) / 100, 1, 50_000);
        long done = 0;
        await using var cmd = new NpgsqlCommand(slice, conn, tx) { CommandTimeout = 0, Parameters = { new() { Value = 0L }, new() { Value = 0L } } };
        for (long from = 0; from < upTo; from += step)
        {
            cmd.Parameters[0].Value = from;
            cmd.Parameters[1].Value = Math.Min(from + step, upTo);
            done += (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            progress?.Report(new EventProgress(done, total));
        }
        return done;
    }
}
