using Npgsql;

namespace ComplianceRecorder.ReadSide;

/// <summary>One recorded access: who read what, when, with what query.</summary>
public sealed record AccessEntry(long Seq, string Who, string What, string Query, DateTimeOffset At);

/// <summary>The access events AccessAudit (and the report verb) appended, newest first.</summary>
public static class AccessLog
{
    public static async Task<IReadOnlyList<AccessEntry>> ReadAsync(NpgsqlDataSource db, int limit, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT seq, data->>'who', data->>'what', data->>'query', (data->>'at')::timestamptz
              FROM events WHERE type = 'report_accessed' ORDER BY seq DESC LIMIT $1
            """);
        cmd.Parameters.AddWithValue(limit);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var entries = new List<AccessEntry>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            entries.Add(new AccessEntry(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4)));
        }
        return entries;
    }
}
