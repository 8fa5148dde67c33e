using Npgsql;

namespace ComplianceRecorder.ReadSide;

/// <summary>The fifty most recent calls with their counts and latency, from the projections.</summary>
public static class CallList
{
    public static async Task<IReadOnlyList<CallListing>> RecentAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT s.conversation_id, s.started_at, s.ended_at IS NOT NULL, s.segments, s.finals, s.gaps, s.redactions, l.p50_latency_ms, l.p99_latency_ms
              FROM call_summaries s LEFT JOIN audit_call_latency l USING (conversation_id)
             ORDER BY s.started_at DESC LIMIT 50
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var calls = new List<CallListing>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            calls.Add(new CallListing(
                r.GetString(0), r.GetDateTime(1), r.GetBoolean(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5), r.GetInt32(6),
                r.IsDBNull(7) ? null : r.GetDouble(7), r.IsDBNull(8) ? null : r.GetDouble(8)));
        }
        return calls;
    }
}
