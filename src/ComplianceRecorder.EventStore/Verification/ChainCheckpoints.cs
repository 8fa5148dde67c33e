using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace ComplianceRecorder.EventStore.Verification;

/// <summary>A key for signing stream heads. The key id is recorded with each signature; the key never is.</summary>
public sealed record CheckpointKey(string Id, byte[] Secret)
{
    public byte[] Sign(string streamId, int version, byte[] headHash) =>
        HMACSHA256.HashData(Secret, Encoding.UTF8.GetBytes($"{streamId}\n{version}\n{Convert.ToHexStringLower(headHash)}"));
}

/// <summary>
/// Periodic signed checkpoints of every stream's head. Verify checks each one against the chain and
/// the key, so rewriting a chain and recomputing its hashes is still caught at the last signed head.
/// </summary>
public static class ChainCheckpoints
{
    /// <returns>How many stream heads were signed now.</returns>
    public static async Task<int> SignAsync(NpgsqlDataSource db, CheckpointKey key, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        var heads = new List<(string Stream, int Version, byte[] Hash)>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT s.id, s.version, s.head_hash FROM streams s
             WHERE s.version > coalesce((SELECT max(c.version) FROM chain_checkpoints c WHERE c.stream_id = s.id), 0)
            """, conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                heads.Add((r.GetString(0), r.GetInt32(1), (byte[])r[2]));
            }
        }
        if (heads.Count == 0)
        {
            return 0;
        }
        await using var batch = new NpgsqlBatch(conn);
        foreach (var (stream, version, hash) in heads)
        {
            var c = new NpgsqlBatchCommand("INSERT INTO chain_checkpoints (stream_id, version, head_hash, key_id, signature) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING");
            c.Parameters.AddWithValue(stream);
            c.Parameters.AddWithValue(version);
            c.Parameters.AddWithValue(hash);
            c.Parameters.AddWithValue(key.Id);
            c.Parameters.AddWithValue(key.Sign(stream, version, hash));
            batch.BatchCommands.Add(c);
        }
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return heads.Count;
    }

    /// <summary>Checkpoints whose head no longer matches the chain, or whose signature the key rejects.</summary>
    public static async Task<List<BrokenLink>> CheckAsync(NpgsqlDataSource db, CheckpointKey? key, CancellationToken ct = default)
    {
        var broken = new List<BrokenLink>();
        await using var cmd = db.CreateCommand("""
            SELECT c.stream_id, c.version, c.head_hash, c.key_id, c.signature, e.hash, e.seq
              FROM chain_checkpoints c LEFT JOIN events e ON e.stream_id = c.stream_id AND e.version = c.version
             ORDER BY c.stream_id, c.version
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var stream = r.GetString(0);
            var version = r.GetInt32(1);
            var head = (byte[])r[2];
            var seq = r.IsDBNull(6) ? 0 : r.GetInt64(6);
            if (r.IsDBNull(5) || !head.AsSpan().SequenceEqual((byte[])r[5]))
            {
                broken.Add(new BrokenLink(stream, version, seq, "the chain no longer matches its signed checkpoint"));
            }
            else if (key is not null && r.GetString(3) == key.Id && !CryptographicOperations.FixedTimeEquals(key.Sign(stream, version, head), (byte[])r[4]))
            {
                broken.Add(new BrokenLink(stream, version, seq, "checkpoint signature does not verify"));
            }
        }
        return broken;
    }
}
