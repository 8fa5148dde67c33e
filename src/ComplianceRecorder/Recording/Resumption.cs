using ComplianceRecorder.Pipeline.Input;
using Npgsql;

namespace ComplianceRecorder.Recording;

/// <summary>
/// Calls the store shows started and never ended: the recorder stopped without finishing them (it was
/// killed, or the machine went down). On start they are followed again, and the time nobody listened
/// is recorded as a coverage gap on each, so what was lost in flight shows as a gap rather than silence.
/// </summary>
internal static class Resumption
{
    /// <summary>Calls older than this are not resumed: Genesys stops transcribing long before.</summary>
    private static readonly TimeSpan Horizon = TimeSpan.FromHours(12);

    /// <summary>
    /// Open calls with when each was last heard: by the times the events carry, not when they were stored,
    /// since events an earlier stop spilled are stored only at this start.
    /// </summary>
    public static async Task<IReadOnlyList<(string Call, DateTimeOffset LastHeard)>> OpenCallsAsync(NpgsqlDataSource db, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            SELECT e.stream_id,
                   max(CASE e.type WHEN 'segment_recorded' THEN (e.data->>'receivedAt')::timestamptz
                                   WHEN 'coverage_gap_recorded' THEN (e.data->>'to')::timestamptz
                                   WHEN 'call_started' THEN (e.data->>'at')::timestamptz
                                   ELSE e.recorded_at END)
              FROM events e
             WHERE e.stream_id IN (SELECT stream_id FROM events WHERE type = 'call_started' AND recorded_at > now() - $1
                                   EXCEPT
                                   SELECT stream_id FROM events WHERE type = 'call_ended')
             GROUP BY e.stream_id
            """);
        cmd.Parameters.AddWithValue(Horizon);
        var open = new List<(string, DateTimeOffset)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            open.Add((reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }
        return open;
    }

    public static IEnumerable<SourceEvent> Gaps(IReadOnlyList<(string Call, DateTimeOffset LastHeard)> open, DateTimeOffset now) =>
        open.Select(o => new SourceDisconnected([o.Call], o.LastHeard, "the recorder was not running (it stopped without finishing this call)", now));
}
