using Npgsql;

namespace ComplianceRecorder.ReadSide;

/// <summary>A stretch of a call on its own clock (milliseconds from the transcription's start): heard live, backfilled, or unheard.</summary>
public sealed record Stretch(string Kind, string? Channel, long FromMs, long ToMs, string? Reason);

/// <summary>One final's latency, at its offset in the call.</summary>
public sealed record LatencyPoint(long OffsetMs, double LatencyMs);

/// <summary>What the call view draws above the transcript: the call's row, its stretches and its latency over time.</summary>
public sealed record CallTimeline(ConsoleCall Call, IReadOnlyList<Stretch> Stretches, IReadOnlyList<LatencyPoint> Latency);

/// <summary>
/// A call's timeline from its events. Segments carry offsets from the transcription's start; gaps carry
/// wall-clock times. They are put on one clock through the first segment that has the source's time
/// (its start = source time − offset − duration), else the call's start as recorded.
/// </summary>
public static class CallTimelines
{
    public static async Task<CallTimeline?> ReadAsync(NpgsqlDataSource db, string id, CancellationToken ct)
    {
        var calls = await ConsoleCalls.ListAsync(db, CallFilter.Default with { Id = id, Limit = 1 }, ct).ConfigureAwait(false);
        if (calls.Count == 0)
        {
            return null;
        }
        await using var cmd = db.CreateCommand("""
            SELECT type, (data->>'offsetMs')::bigint, coalesce((data->>'durationMs')::bigint, 0), data->>'channel',
                   coalesce((data->>'backfilled')::boolean, false), (data->>'latencyMs')::double precision,
                   (data->>'sourceTime')::timestamptz, (data->>'from')::timestamptz, (data->>'to')::timestamptz,
                   data->>'kind', data->>'detail', (data->>'at')::timestamptz
              FROM events
             WHERE stream_id = $1 AND (type IN ('call_started', 'coverage_gap_recorded') OR (type = 'segment_recorded' AND (data->>'isFinal')::boolean))
             ORDER BY seq
            """);
        cmd.Parameters.AddWithValue(id);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var stretches = new List<Stretch>();
        var latency = new List<LatencyPoint>();
        var gaps = new List<(string? Channel, DateTimeOffset From, DateTimeOffset To, string Reason)>();
        DateTimeOffset? origin = null;
        DateTimeOffset? started = null;
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            switch (r.GetString(0))
            {
                case "call_started":
                    started = r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11);
                    break;
                case "coverage_gap_recorded":
                    gaps.Add((ConsoleCalls.NullableString(r, 3), r.GetFieldValue<DateTimeOffset>(7), r.GetFieldValue<DateTimeOffset>(8), $"{r.GetString(9)}: {r.GetString(10)}"));
                    break;
                default:
                    var offset = r.IsDBNull(1) ? 0 : r.GetInt64(1);
                    var duration = r.GetInt64(2);
                    if (origin is null && !r.IsDBNull(6))
                    {
                        origin = r.GetFieldValue<DateTimeOffset>(6).AddMilliseconds(-(offset + duration));
                    }
                    stretches.Add(new Stretch(r.GetBoolean(4) ? "backfilled" : "heard", ConsoleCalls.NullableString(r, 3), offset, offset + duration, null));
                    if (!r.IsDBNull(5))
                    {
                        latency.Add(new LatencyPoint(offset + duration, r.GetDouble(5)));
                    }
                    break;
            }
        }
        var zero = origin ?? started ?? new DateTimeOffset(calls[0].StartedAt, TimeSpan.Zero);
        foreach (var (channel, from, to, reason) in gaps)
        {
            var a = (long)(from - zero).TotalMilliseconds;
            stretches.Add(new Stretch("unheard", channel, Math.Max(0, a), Math.Max(a, (long)(to - zero).TotalMilliseconds), reason));
        }
        return new CallTimeline(calls[0], stretches, latency);
    }
}
