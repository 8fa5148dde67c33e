using ComplianceRecorder.EventStore.Encryption;
using ComplianceRecorder.Pipeline.Events;
using Npgsql;

namespace ComplianceRecorder.ReadSide;

/// <summary>Captions read back from the store: what a reconnecting consumer or a page opened mid-call missed.</summary>
public static class CaptionHistory
{
    /// <summary>Finals and gaps recorded after <paramref name="afterSeq"/>, from the store: what a reconnecting consumer missed. Text is opened by <paramref name="text"/>.</summary>
    public static async IAsyncEnumerable<Caption> MissedAsync(NpgsqlDataSource db, StoredText text, long afterSeq, string? call, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var (caption, _) in ReadAsync(db, text, afterSeq, call, ct).ConfigureAwait(false))
        {
            yield return caption;
        }
    }

    /// <summary>Finals and gaps after <paramref name="afterSeq"/> with the writer of each: what other recorder instances recorded (#15).</summary>
    public static IAsyncEnumerable<(Caption Caption, string Writer)> WrittenAsync(NpgsqlDataSource db, StoredText text, long afterSeq, CancellationToken ct) =>
        ReadAsync(db, text, afterSeq, null, ct);

    private static async IAsyncEnumerable<(Caption, string)> ReadAsync(NpgsqlDataSource db, StoredText text, long afterSeq, string? call, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        using var reading = text.Begin();
        await using var cmd = db.CreateCommand("""
            SELECT seq, type, schema_version, data::text, stream_id, source_key, writer FROM events
             WHERE seq > $1 AND ($2::text IS NULL OR stream_id = $2)
               AND (type = 'coverage_gap_recorded' OR (type = 'segment_recorded' AND (data->>'isFinal')::boolean))
             ORDER BY seq
            """);
        cmd.Parameters.AddWithValue(afterSeq);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)call ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            switch (EventJson.Deserialize(r.GetString(1), r.GetInt32(2), r.GetString(3)))
            {
                case SegmentRecorded s:
                    var plain = await reading.OpenAsync(s.Text, r.GetString(4), SegmentRecorded.TypeName, r.IsDBNull(5) ? null : r.GetString(5), ct).ConfigureAwait(false);
                    yield return (Caption.Of(s with { Text = plain }, r.GetInt64(0)), r.GetString(6));
                    break;
                case CoverageGapRecorded g:
                    yield return (Caption.Of(g, r.GetInt64(0)), r.GetString(6));
                    break;
            }
        }
    }
}
