using Npgsql;

namespace ComplianceRecorder.EventStore.Verification;

/// <summary>A projection row that is not what a replay of the events gives (or a row a replay gives that is missing).</summary>
public sealed record ProjectionMismatch(string Table, string Row, string Reason);

/// <summary>
/// Compares each projection with a replay of the events through the views and function that write it,
/// in one snapshot, and names the first row that differs in each table. The projections accept no
/// direct writes from the recorder's role; this catches the owner's (or a superuser's) edits.
/// </summary>
internal static class ProjectionCheck
{
    // each query yields the first differing row of one table: its key and what is wrong with it
    private static readonly (string Table, string Sql)[] Checks =
    [
        ("audit_log", """
            SELECT coalesce(l.seq, s.seq)::text,
                   CASE WHEN s.seq IS NULL THEN 'no event gives this row' WHEN l.seq IS NULL THEN 'missing' ELSE 'differs from the event' END
              FROM audit_log l FULL JOIN audit_log_source s ON s.seq = l.seq
             WHERE l.seq IS NULL OR s.seq IS NULL OR l::text <> s::text
             ORDER BY coalesce(l.seq, s.seq) LIMIT 1
            """),
        ("call_summaries", """
            SELECT coalesce(l.conversation_id, s.conversation_id),
                   CASE WHEN s.conversation_id IS NULL THEN 'no event gives this row' WHEN l.conversation_id IS NULL THEN 'missing' ELSE 'differs from the events' END
              FROM call_summaries l FULL JOIN call_summaries_source s ON s.conversation_id = l.conversation_id
             WHERE l.conversation_id IS NULL OR s.conversation_id IS NULL OR l::text <> s::text
             ORDER BY 1 LIMIT 1
            """),
        // the daemon keeps the first event of each window; only what it has reached is compared
        ("metrics_windows", """
            WITH replay AS (
              SELECT DISTINCT ON (data->>'scope', (data->>'windowStart')::timestamptz)
                     data->>'scope' AS scope, (data->>'windowStart')::timestamptz AS window_start, (data->>'windowEnd')::timestamptz AS window_end,
                     (data->>'segments')::integer AS segments, (data->>'tokens')::integer AS tokens, (data->>'gaps')::integer AS gaps,
                     (data->>'p50Ms')::double precision AS p50_ms, (data->>'p95Ms')::double precision AS p95_ms,
                     (data->>'p99Ms')::double precision AS p99_ms, (data->>'maxMs')::double precision AS max_ms, seq
                FROM events
               WHERE type = 'metrics_window_closed' AND seq <= coalesce((SELECT last_seq FROM progression WHERE name = 'metrics'), 0)
               ORDER BY 1, 2, seq)
            SELECT coalesce(l.scope, s.scope) || ' ' || coalesce(l.window_start, s.window_start)::text,
                   CASE WHEN s.scope IS NULL THEN 'no event gives this row' WHEN l.scope IS NULL THEN 'missing' ELSE 'differs from the event' END
              FROM metrics_windows l FULL JOIN replay s ON s.scope = l.scope AND s.window_start = l.window_start
             WHERE l.scope IS NULL OR s.scope IS NULL OR l::text <> s::text
             ORDER BY coalesce(l.window_start, s.window_start), 1 LIMIT 1
            """),
        ("metrics_daily", """
            WITH replay AS (
              SELECT (window_start AT TIME ZONE 'UTC')::date AS day, 'all'::text AS scope, count(*)::integer AS windows,
                     sum(segments)::bigint AS segments, sum(tokens)::bigint AS tokens, sum(gaps)::bigint AS gaps, max(p99_ms) AS max_p99_ms
                FROM metrics_windows WHERE scope = 'all' GROUP BY 1)
            SELECT coalesce(l.day, s.day)::text,
                   CASE WHEN s.day IS NULL THEN 'no window gives this row' WHEN l.day IS NULL THEN 'missing' ELSE 'differs from its windows' END
              FROM metrics_daily l FULL JOIN replay s ON s.day = l.day AND s.scope = l.scope
             WHERE l.day IS NULL OR s.day IS NULL OR l::text <> s::text
             ORDER BY 1 LIMIT 1
            """),
    ];

    public static async Task<List<ProjectionMismatch>> MismatchesAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        var found = new List<ProjectionMismatch>();
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        // one snapshot for all tables: the inline projections commit with their events
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        foreach (var (table, sql) in Checks)
        {
            await using var cmd = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 };
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                found.Add(new ProjectionMismatch(table, r.GetString(0), r.GetString(1)));
            }
        }
        return found;
    }
}
