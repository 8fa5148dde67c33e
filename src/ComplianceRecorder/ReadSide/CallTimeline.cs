using System.Globalization;
using Npgsql;

namespace ComplianceRecorder.ReadSide;

/// <summary>
/// A stretch of a call on its own clock (milliseconds from the transcription's start): heard live, backfilled,
/// unheard (lost time), or noted (a missing final, a late arrival, a restart: counted, not time; from = to).
/// </summary>
public sealed record Stretch(string Kind, string? Channel, long FromMs, long ToMs, string? Reason);

/// <summary>One final's latency, at its offset in the call.</summary>
public sealed record LatencyPoint(long OffsetMs, double LatencyMs);

/// <summary>What the call view draws above the transcript: the call's row, its stretches and its latency over time.</summary>
public sealed record CallTimeline(ConsoleCall Call, IReadOnlyList<Stretch> Stretches, IReadOnlyList<LatencyPoint> Latency);

/// <summary>
/// A call's timeline from its events. Segments carry offsets from the transcription's start; gaps carry
/// wall-clock times, or an offset jump the source offsets it skipped. They are put on one clock through the
/// first final that has the source's time (its start = source time − offset − duration), else the call's start
/// as recorded: the rule the call list's unheard seconds use, by the same SQL, so the two agree.
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
                   (data->>'sourceTime')::timestamptz, (data->>'at')::timestamptz
              FROM events
             WHERE stream_id = $1 AND (type = 'call_started' OR (type = 'segment_recorded' AND (data->>'isFinal')::boolean))
             ORDER BY seq
            """);
        cmd.Parameters.AddWithValue(id);
        var stretches = new List<Stretch>();
        var latency = new List<LatencyPoint>();
        DateTimeOffset? origin = null;
        DateTimeOffset? started = null;
        // the reader is disposed once, before the next query: its connection goes back to the pool with it, and the
        // pool hands the same reader object to that connection's next user, whom a second dispose would cut off
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                switch (r.GetString(0))
                {
                    case "call_started":
                        started = r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7);
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
        }
        var zero = origin ?? started ?? new DateTimeOffset(calls[0].StartedAt, TimeSpan.Zero);
        await using var gaps = db.CreateCommand($"""
            {string.Format(CultureInfo.InvariantCulture, ConsoleCalls.GapSpansSql, "$2", "$1")}
            UNION ALL
            SELECT e.data->>'kind', e.data->>'channel', e.data->>'kind' || ': ' || (e.data->>'detail'), p.at, p.at
              FROM events e CROSS JOIN LATERAL (SELECT greatest(0, round(extract(epoch FROM (e.data->>'from')::timestamptz - $2) * 1000)::bigint) AS at) p
             WHERE e.stream_id = $1 AND e.type = 'coverage_gap_recorded' AND e.data->>'kind' NOT IN ('Disconnected', 'SequenceGap', 'OffsetJump')
            """);
        gaps.Parameters.AddWithValue(id);
        gaps.Parameters.AddWithValue(zero);
        await using var g = await gaps.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await g.ReadAsync(ct).ConfigureAwait(false))
        {
            var kind = g.GetString(0) is "Disconnected" or "SequenceGap" or "OffsetJump" ? "unheard" : "noted";
            stretches.Add(new Stretch(kind, ConsoleCalls.NullableString(g, 1), g.GetInt64(3), g.GetInt64(4), g.GetString(2)));
        }
        return new CallTimeline(calls[0], stretches, latency);
    }
}
