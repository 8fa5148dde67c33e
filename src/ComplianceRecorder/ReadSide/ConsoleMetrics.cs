using Npgsql;
using NpgsqlTypes;

namespace ComplianceRecorder.ReadSide;

/// <summary>One bucket of the metrics windows: throughput and the worst of each percentile among its windows.</summary>
public sealed record MetricsPoint(DateTime At, double SegmentsPerSecond, int Gaps, double P50Ms, double P95Ms, double P99Ms);

/// <summary>Gaps recorded in one hour, by kind.</summary>
public sealed record GapsInHour(DateTime Hour, string Kind, int Count);

/// <summary>What the metrics view draws.</summary>
public sealed record ConsoleMetricsView(
    DateTimeOffset From, DateTimeOffset To, IReadOnlyList<MetricsPoint> Series, IReadOnlyDictionary<string, int> SegmentsByRedaction, IReadOnlyList<GapsInHour> GapsPerHour);

/// <summary>
/// The metrics view's figures over a time range, at most <see cref="Buckets"/> points: windows are put
/// into equal buckets. Throughput is a bucket's segments over its width clipped to the range (windows exist
/// only where there was traffic, so their own span would overstate it), or over its windows' length when they
/// are longer than the bucket. Percentiles of windows cannot be merged exactly, so a bucket shows the highest of
/// its windows' (never better than the truth). Their latency is receive→durable, not the call list's source→receive.
/// </summary>
public static class ConsoleMetrics
{
    public const int Buckets = 240;

    public static async Task<ConsoleMetricsView> ReadAsync(NpgsqlDataSource db, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var width = Math.Max(1, (to - from).TotalSeconds / Buckets);
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        var series = new List<MetricsPoint>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT b, sum(segments)::double precision
                        / greatest(extract(epoch FROM least(b + make_interval(secs => $3), $2) - greatest(b, $1)),
                                   extract(epoch FROM max(window_end - window_start)), 0.001),
                   sum(gaps)::integer, max(p50_ms), max(p95_ms), max(p99_ms)
              FROM (SELECT to_timestamp(floor(extract(epoch FROM window_start) / $3) * $3) AS b, * FROM metrics_windows
                     WHERE scope = 'all' AND window_start >= $1 AND window_start < $2) w
             GROUP BY b ORDER BY b
            """, conn))
        {
            AddRange(cmd, from, to);
            cmd.Parameters.AddWithValue(width);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                series.Add(new MetricsPoint(r.GetDateTime(0), r.GetDouble(1), r.GetInt32(2), r.GetDouble(3), r.GetDouble(4), r.GetDouble(5)));
            }
        }
        var byType = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand("""
            SELECT x.key, count(*)::integer FROM audit_log l CROSS JOIN LATERAL jsonb_each_text(l.entities) x
             WHERE l.is_final AND l.recorded_at >= $1 AND l.recorded_at < $2 AND x.value::integer > 0
             GROUP BY x.key ORDER BY x.key
            """, conn))
        {
            AddRange(cmd, from, to);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                byType[r.GetString(0)] = r.GetInt32(1);
            }
        }
        var gaps = new List<GapsInHour>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT date_trunc('hour', recorded_at), kind, count(*)::integer FROM audit_gaps
             WHERE recorded_at >= $1 AND recorded_at < $2 GROUP BY 1, 2 ORDER BY 1, 2
            """, conn))
        {
            AddRange(cmd, from, to);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                gaps.Add(new GapsInHour(r.GetDateTime(0), r.GetString(1), r.GetInt32(2)));
            }
        }
        return new ConsoleMetricsView(from, to, series, byType, gaps);
    }

    private static void AddRange(NpgsqlCommand cmd, DateTimeOffset from, DateTimeOffset to)
    {
        cmd.Parameters.Add(new NpgsqlParameter { Value = from, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = to, NpgsqlDbType = NpgsqlDbType.TimestampTz });
    }
}
