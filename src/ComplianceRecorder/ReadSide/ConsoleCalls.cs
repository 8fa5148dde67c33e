using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace ComplianceRecorder.ReadSide;

/// <summary>One row of the console's call list.</summary>
public sealed record ConsoleCall(
    string ConversationId, string? QueueId, string? AgentId, string? AgentName, DateTime StartedAt, DateTime? EndedAt,
    int Finals, int Gaps, double UnheardSeconds, bool Backfilled, int Redactions, IReadOnlyDictionary<string, int> RedactionsByType,
    double? P50LatencyMs, double? P99LatencyMs, int MissingFinals, int LateArrivals);

/// <summary>
/// The console's calls, filtered, searched and ordered in the database: the page never holds more than
/// it shows a page of. Queue and agent come from each call's <c>call_started</c> event (absent on calls
/// recorded before Genesys' participants were kept); unheard seconds are the union of the gaps' spans on the
/// call's clock (see <see cref="GapSpansSql"/>); redactions (the total, by type, the
/// flag and the sort alike) count finals only, as each partial repeats what its final says.
/// </summary>
public static class ConsoleCalls
{
    /// <summary>
    /// Each gap that stands for lost time, as a span in milliseconds on the call's clock (zero: the transcription's
    /// start, from the first final with a source time, else the call's start): a disconnection and a sequence gap by
    /// their wall-clock times, an offset jump by the source offsets it skipped. A missing final or a late arrival is
    /// a count, not time: a missing final's span is only the wait before the call was seen to end. Overlapping spans
    /// (a disconnection heard as a sequence gap too, two channels) count once. Takes the call's id and zero.
    /// </summary>
    internal const string GapSpansSql = """
        SELECT e.data->>'kind' AS kind, e.data->>'channel' AS channel, e.data->>'kind' || ': ' || (e.data->>'detail') AS reason, sp.a, greatest(sp.a, sp.b) AS b
          FROM events e
          CROSS JOIN LATERAL (SELECT CASE WHEN e.data->>'kind' = 'OffsetJump' THEN (e.data->>'fromSequence')::bigint
                                          ELSE round(extract(epoch FROM (e.data->>'from')::timestamptz - {0}) * 1000)::bigint END AS a0,
                                     CASE WHEN e.data->>'kind' = 'OffsetJump' THEN (e.data->>'toSequence')::bigint
                                          ELSE round(extract(epoch FROM (e.data->>'to')::timestamptz - {0}) * 1000)::bigint END AS b0) raw
          CROSS JOIN LATERAL (SELECT greatest(0, raw.a0) AS a, greatest(0, raw.b0) AS b) sp
         WHERE e.stream_id = {1} AND e.type = 'coverage_gap_recorded' AND e.data->>'kind' IN ('Disconnected', 'SequenceGap', 'OffsetJump')
        """;

    /// <summary>A call's zero on its own clock: the transcription's start (first final with a source time), else its start.</summary>
    internal const string ZeroSql = """
        coalesce((SELECT (z.data->>'sourceTime')::timestamptz
                         - make_interval(secs => ((z.data->>'offsetMs')::bigint + coalesce((z.data->>'durationMs')::bigint, 0)) / 1000.0)
                    FROM events z WHERE z.stream_id = {0} AND z.type = 'segment_recorded' AND (z.data->>'isFinal')::boolean
                     AND z.data->>'sourceTime' IS NOT NULL ORDER BY z.seq LIMIT 1), {1})
        """;

    private static readonly string Sql = $$"""
        SELECT * FROM (
          SELECT s.conversation_id, st.data->>'queueId' AS queue_id, st.data->>'agentId' AS agent_id, CASE WHEN $11 THEN st.data->>'agentName' END AS agent_name,
                 s.started_at, s.ended_at, s.finals, s.gaps, coalesce(g.unheard, 0)::double precision AS unheard_seconds,
                 coalesce(a.backfilled, false) AS backfilled, coalesce(t.total, 0)::integer AS redactions, coalesce(t.by_type, '{}'::jsonb)::text AS by_type,
                 a.p50 AS p50_latency_ms, a.p99 AS p99_latency_ms, gc.missing, gc.late
            FROM call_summaries s
            LEFT JOIN LATERAL (SELECT e.data FROM events e WHERE e.stream_id = s.conversation_id AND e.type = 'call_started' ORDER BY e.version LIMIT 1) st ON true
            CROSS JOIN LATERAL (SELECT {{string.Format(CultureInfo.InvariantCulture, ZeroSql, "s.conversation_id", "coalesce((st.data->>'at')::timestamptz, s.started_at)")}} AS zero) z0
            LEFT JOIN LATERAL (
              SELECT (SELECT coalesce(sum(upper(x) - lower(x)), 0) FROM unnest(range_agg(int8range(sp.a, sp.b))) x) / 1000.0 AS unheard
                FROM ({{string.Format(CultureInfo.InvariantCulture, GapSpansSql, "z0.zero", "s.conversation_id")}}) sp) g ON true
            LEFT JOIN LATERAL (
              SELECT count(*) FILTER (WHERE e.data->>'kind' = 'MissingFinal')::integer AS missing,
                     count(*) FILTER (WHERE e.data->>'kind' = 'LateArrival')::integer AS late
                FROM events e WHERE e.stream_id = s.conversation_id AND e.type = 'coverage_gap_recorded') gc ON true
            LEFT JOIN LATERAL (
              SELECT bool_or(l.backfilled) AS backfilled,
                     percentile_cont(0.5) WITHIN GROUP (ORDER BY l.latency_ms) AS p50,
                     percentile_cont(0.99) WITHIN GROUP (ORDER BY l.latency_ms) AS p99
                FROM audit_log l WHERE l.conversation_id = s.conversation_id) a ON true
            LEFT JOIN LATERAL (
              SELECT jsonb_object_agg(k, n) AS by_type, sum(n) AS total FROM (
                SELECT x.key AS k, sum(x.value::integer) AS n
                  FROM audit_log l CROSS JOIN LATERAL jsonb_each_text(l.entities) x
                 WHERE l.conversation_id = s.conversation_id AND l.is_final GROUP BY x.key) y) t ON true
           WHERE (($1::timestamptz IS NULL OR s.started_at >= $1) AND ($2::timestamptz IS NULL OR s.started_at < $2) OR ($10 AND s.ended_at IS NULL))
             AND ($3::text IS NULL OR strpos(lower(s.conversation_id), lower($3)) > 0)
             AND ($4::text IS NULL OR ($4 = 'PII_REDACTED') = (coalesce(t.total, 0) > 0))
             AND ($5::boolean IS NULL OR $5 = (s.gaps > 0))
             AND ($9::text IS NULL OR s.conversation_id = $9)
        ) c
         WHERE ($6::text IS NULL OR c.queue_id = $6)
           AND ($7::text IS NULL OR c.agent_id = $7 OR strpos(lower(c.agent_name), lower($7)) > 0)
        """;

    public static async Task<IReadOnlyList<ConsoleCall>> ListAsync(NpgsqlDataSource db, CallFilter filter, CancellationToken ct)
    {
        // the sort key is one of a fixed set (CallFilter.Sorts), never the caller's text
        var order = CallFilter.Sorts[filter.Sort] + (filter.Descending ? " DESC NULLS LAST" : " ASC NULLS LAST");
        await using var cmd = db.CreateCommand($"{Sql} ORDER BY {order}, conversation_id LIMIT $8");
        cmd.Parameters.Add(Parameter(filter.From, NpgsqlDbType.TimestampTz));
        cmd.Parameters.Add(Parameter(filter.To, NpgsqlDbType.TimestampTz));
        cmd.Parameters.Add(Parameter(filter.Search, NpgsqlDbType.Text));
        cmd.Parameters.Add(Parameter(filter.Flag, NpgsqlDbType.Text));
        cmd.Parameters.Add(Parameter(filter.HasGaps, NpgsqlDbType.Boolean));
        cmd.Parameters.Add(Parameter(filter.Queue, NpgsqlDbType.Text));
        cmd.Parameters.Add(Parameter(filter.Agent, NpgsqlDbType.Text));
        cmd.Parameters.Add(Parameter(filter.Limit, NpgsqlDbType.Integer));
        cmd.Parameters.Add(Parameter(filter.Id, NpgsqlDbType.Text));
        cmd.Parameters.Add(Parameter(filter.AndLive, NpgsqlDbType.Boolean));
        cmd.Parameters.Add(Parameter(filter.AgentNames, NpgsqlDbType.Boolean));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var calls = new List<ConsoleCall>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            calls.Add(new ConsoleCall(
                r.GetString(0), NullableString(r, 1), NullableString(r, 2), NullableString(r, 3), r.GetDateTime(4), r.IsDBNull(5) ? null : r.GetDateTime(5),
                r.GetInt32(6), r.GetInt32(7), r.GetDouble(8), r.GetBoolean(9), r.GetInt32(10),
                JsonSerializer.Deserialize<Dictionary<string, int>>(r.GetString(11))!,
                r.IsDBNull(12) ? null : r.GetDouble(12), r.IsDBNull(13) ? null : r.GetDouble(13), r.GetInt32(14), r.GetInt32(15)));
        }
        return calls;
    }

    internal static NpgsqlParameter Parameter(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    internal static string? NullableString(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
