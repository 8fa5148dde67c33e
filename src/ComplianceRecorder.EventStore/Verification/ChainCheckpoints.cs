using System.Security.Cryptography;
using Npgsql;

namespace ComplianceRecorder.EventStore.Verification;

/// <summary>
/// Signed checkpoints of every stream's head, chained per stream (each signs the one before it).
/// Verify checks each against the chain and the key set, so rewriting a chain and recomputing its
/// hashes is still caught at the last signed head; deleting checkpoints breaks the next one's chain,
/// and deleting a stream's newest ones leaves events older than the signing interval unsigned, which
/// verify reports as well.
/// </summary>
public static class ChainCheckpoints
{
    // two signers (two recorders, or the timer and the stop) must not both chain onto the same predecessor
    private const long SignLock = 727276;

    /// <returns>How many stream heads were signed now.</returns>
    public static async Task<int> SignAsync(NpgsqlDataSource db, CheckpointKey key, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var lk = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SignLock})", conn, tx))
        {
            await lk.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        var heads = new List<(string Stream, int Version, byte[] Hash, byte[]? Previous)>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT s.id, s.version, s.head_hash, c.signature FROM streams s
              LEFT JOIN LATERAL (SELECT c.version, c.signature FROM chain_checkpoints c
                                  WHERE c.stream_id = s.id ORDER BY c.version DESC LIMIT 1) c ON true
             WHERE s.version > coalesce(c.version, 0)
            """, conn, tx))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                heads.Add((r.GetString(0), r.GetInt32(1), (byte[])r[2], r.IsDBNull(3) ? null : (byte[])r[3]));
            }
        }
        if (heads.Count > 0)
        {
            await using var batch = new NpgsqlBatch(conn, tx);
            foreach (var (stream, version, hash, previous) in heads)
            {
                var c = new NpgsqlBatchCommand("""
                    INSERT INTO chain_checkpoints (stream_id, version, head_hash, key_id, signature, prev_signature, chained)
                    VALUES ($1, $2, $3, $4, $5, $6, true) ON CONFLICT DO NOTHING
                    """);
                c.Parameters.AddWithValue(stream);
                c.Parameters.AddWithValue(version);
                c.Parameters.AddWithValue(hash);
                c.Parameters.AddWithValue(key.Id);
                c.Parameters.AddWithValue(key.Sign(stream, version, hash, previous));
                c.Parameters.Add(new NpgsqlParameter { Value = (object?)previous ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea });
                batch.BatchCommands.Add(c);
            }
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return heads.Count;
    }

    /// <summary>
    /// Checkpoints whose head no longer matches the chain, that do not follow the stream's previous
    /// checkpoint, that name a key outside <paramref name="keys"/>, or whose signature the key rejects.
    /// Without keys, signatures are not checked; the structure still is.
    /// </summary>
    public static async Task<(List<BrokenLink> Broken, long Checked)> CheckAsync(NpgsqlDataSource db, CheckpointKeys? keys, CancellationToken ct = default)
    {
        var broken = new List<BrokenLink>();
        long n = 0;
        await using var cmd = db.CreateCommand("""
            SELECT c.stream_id, c.version, c.head_hash, c.key_id, c.signature, c.prev_signature, c.chained, e.hash, e.seq
              FROM chain_checkpoints c LEFT JOIN events e ON e.stream_id = c.stream_id AND e.version = c.version
             ORDER BY c.stream_id, c.version
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        string? stream = null;
        byte[]? previous = null;
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            n++;
            var s = r.GetString(0);
            if (s != stream)
            {
                (stream, previous) = (s, null);
            }
            var version = r.GetInt32(1);
            var head = (byte[])r[2];
            var keyId = r.GetString(3);
            var signature = (byte[])r[4];
            var claimedPrevious = r.IsDBNull(5) ? null : (byte[])r[5];
            var chained = r.GetBoolean(6);
            var seq = r.IsDBNull(8) ? 0 : r.GetInt64(8);
            string? reason = null;
            if (r.IsDBNull(7) || !head.AsSpan().SequenceEqual((byte[])r[7]))
            {
                reason = "the chain no longer matches its signed checkpoint";
            }
            else if (chained && !(claimedPrevious ?? []).AsSpan().SequenceEqual(previous ?? []))
            {
                reason = "the signed checkpoint before this one is missing";
            }
            else if (keys is not null)
            {
                var key = keys.Find(keyId);
                if (key is null)
                {
                    reason = $"checkpoint signed with key id {keyId}, which is not in the configured key set";
                }
                else if (!CryptographicOperations.FixedTimeEquals(
                    chained ? key.Sign(s, version, head, claimedPrevious) : key.SignUnchained(s, version, head), signature))
                {
                    reason = "checkpoint signature does not verify";
                }
            }
            if (reason is not null)
            {
                broken.Add(new BrokenLink(s, version, seq, reason));
            }
            previous = signature;
        }
        return (broken, n);
    }

    /// <summary>
    /// Streams with events recorded before <paramref name="before"/> that no signed checkpoint covers:
    /// the recorder signs at least every interval and at stop, so these are deleted checkpoints (or a
    /// recorder killed before it could sign).
    /// </summary>
    public static async Task<List<BrokenLink>> UnsignedAsync(NpgsqlDataSource db, DateTimeOffset before, CancellationToken ct = default)
    {
        var broken = new List<BrokenLink>();
        await using var cmd = db.CreateCommand("""
            SELECT e.stream_id, min(e.version), min(e.seq), min(e.recorded_at)
              FROM events e
              LEFT JOIN (SELECT stream_id, max(version) AS version FROM chain_checkpoints GROUP BY stream_id) c ON c.stream_id = e.stream_id
             WHERE e.version > coalesce(c.version, 0) AND e.recorded_at < $1
             GROUP BY e.stream_id ORDER BY e.stream_id
            """);
        cmd.Parameters.AddWithValue(before);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            broken.Add(new BrokenLink(r.GetString(0), r.GetInt32(1), r.GetInt64(2),
                $"no signed checkpoint covers this event, recorded {r.GetFieldValue<DateTimeOffset>(3):u}, older than the signing interval: checkpoints were deleted, or the recorder was killed before it signed"));
        }
        return broken;
    }
}
