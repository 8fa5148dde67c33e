using Npgsql;

namespace ComplianceRecorder.EventStore.Projections;

/// <summary>
/// Rebuilds the inline projections by replaying every event through the same SQL function that
/// writes them live, so a rebuilt table cannot drift from the live one.
/// </summary>
public static class Rebuilder
{
    public static readonly string[] Projections = ["audit"];

    public static async Task<long> RebuildAsync(NpgsqlDataSource db, string projection, CancellationToken ct = default)
    {
        if (projection != "audit")
        {
            throw new ArgumentException($"unknown projection '{projection}'; known: {string.Join(", ", Projections)}", nameof(projection));
        }
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var cmd = new NpgsqlCommand("""
            LOCK TABLE audit_log, call_summaries IN EXCLUSIVE MODE;
            TRUNCATE audit_log, call_summaries;
            SELECT count(*) FROM (
              SELECT project_inline(e.seq, e.stream_id, e.type, e.data, e.recorded_at)
                FROM events e
               WHERE e.type IN ('segment_recorded', 'coverage_gap_recorded', 'call_started', 'call_ended')
               ORDER BY e.seq) replayed;
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
