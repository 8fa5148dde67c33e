using Npgsql;

namespace ComplianceRecorder.ReadSide;

/// <summary>A stream's latest signed checkpoint.</summary>
public sealed record StreamCheckpoint(string StreamId, int Version, int Events, string KeyId, DateTime SignedAt);

/// <summary>The latest store-wide anchor: a signed count of every event up to a sequence number.</summary>
public sealed record LatestAnchor(long MaxSeq, long Events, string KeyId, DateTime SignedAt);

/// <summary>What the integrity view shows of the signatures, newest first.</summary>
public sealed record IntegrityView(LatestAnchor? Anchor, IReadOnlyList<StreamCheckpoint> Checkpoints);

public static class IntegrityStatus
{
    public static async Task<IntegrityView> ReadAsync(NpgsqlDataSource db, int limit, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        LatestAnchor? anchor = null;
        await using (var cmd = new NpgsqlCommand("SELECT max_seq, events, key_id, signed_at FROM chain_anchors ORDER BY max_seq DESC LIMIT 1", conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            if (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                anchor = new LatestAnchor(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetDateTime(3));
            }
        }
        var checkpoints = new List<StreamCheckpoint>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT c.stream_id, c.version, s.version, c.key_id, c.signed_at FROM (
              SELECT DISTINCT ON (stream_id) stream_id, version, key_id, signed_at FROM chain_checkpoints ORDER BY stream_id, version DESC) c
              JOIN streams s ON s.id = c.stream_id
             ORDER BY c.signed_at DESC, c.stream_id LIMIT $1
            """, conn))
        {
            cmd.Parameters.AddWithValue(limit);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                checkpoints.Add(new StreamCheckpoint(r.GetString(0), r.GetInt32(1), r.GetInt32(2), r.GetString(3), r.GetDateTime(4)));
            }
        }
        return new IntegrityView(anchor, checkpoints);
    }
}
