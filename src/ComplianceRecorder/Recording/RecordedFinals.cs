using ComplianceRecorder.EventStore.Encryption;
using ComplianceRecorder.Pipeline.Input;
using Npgsql;

namespace ComplianceRecorder.Recording;

/// <summary>A call's finals as the store holds them, live or backfilled, by any writer.</summary>
public sealed class RecordedFinals(NpgsqlDataSource db, StoredText text) : IRecordedFinals
{
    public async Task<IReadOnlyList<TranscriptReceived>> FinalsAsync(string conversationId, CancellationToken ct)
    {
        using var reading = text.Begin();
        await using var cmd = db.CreateCommand("""
            SELECT data->>'channel', data->>'utteranceId', data->>'text', (data->>'offsetMs')::bigint, coalesce((data->>'durationMs')::bigint, 0), recorded_at, stream_id, source_key
              FROM events
             WHERE stream_id = $1 AND type = 'segment_recorded' AND (data->>'isFinal')::boolean
               AND data ?& array['channel', 'utteranceId', 'text', 'offsetMs']
            """);
        cmd.Parameters.AddWithValue(conversationId);
        var finals = new List<TranscriptReceived>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var plain = await reading.OpenAsync(r.GetString(2), r.GetString(6), "segment_recorded", r.IsDBNull(7) ? null : r.GetString(7), ct).ConfigureAwait(false);
            finals.Add(new TranscriptReceived(conversationId, r.GetString(0), r.GetString(1), true, plain,
                r.GetInt64(3), r.GetInt64(4), null, null, null, "store", false, r.GetFieldValue<DateTimeOffset>(5)));
        }
        return finals;
    }
}
