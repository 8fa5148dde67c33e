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

    /// <summary>
    /// Signs the heads this process appended (<paramref name="heads"/>) and then a store-wide anchor
    /// over them, in one transaction. A head read from <c>streams</c> is never signed: after the
    /// owner deletes a stream's checkpoints and rewrites its chain, that is the forged head.
    /// </summary>
    public static async Task<SignPass> SignAsync(NpgsqlDataSource db, CheckpointKey key, AppendedHeads heads, CancellationToken ct = default)
    {
        // taken before the high-water mark, so every head here lies at or below it
        var mine = heads.Unsigned();
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        var highWater = await Projections.ProjectionDaemon.ReadHighWaterAsync(conn, ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var lk = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SignLock})", conn, tx))
        {
            await lk.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        var anchor = await StoreAnchors.LatestAsync(conn, tx, ct).ConfigureAwait(false);
        long? anchorSeq = highWater > (anchor?.MaxSeq ?? 0) ? highWater : null;
        var signed = new List<(string Stream, int Version, byte[] Signature)>();
        var refused = new List<string>();
        if (mine.Count > 0)
        {
            var current = new Dictionary<string, (int Version, byte[]? Signature, byte[]? Stored)>(StringComparer.Ordinal);
            await using (var cmd = new NpgsqlCommand("""
                SELECT h.id, coalesce(c.version, 0), c.signature, e.hash
                  FROM unnest($1::text[], $2::integer[]) h(id, version)
                  LEFT JOIN LATERAL (SELECT c.version, c.signature FROM chain_checkpoints c
                                      WHERE c.stream_id = h.id ORDER BY c.version DESC LIMIT 1) c ON true
                  LEFT JOIN events e ON e.stream_id = h.id AND e.version = h.version
                """, conn, tx))
            {
                cmd.Parameters.AddWithValue(mine.Select(h => h.Key).ToArray());
                cmd.Parameters.AddWithValue(mine.Select(h => h.Value.Version).ToArray());
                await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    current[r.GetString(0)] = (r.GetInt32(1), r.IsDBNull(2) ? null : (byte[])r[2], r.IsDBNull(3) ? null : (byte[])r[3]);
                }
            }
            await using var batch = new NpgsqlBatch(conn, tx);
            foreach (var (stream, head) in mine)
            {
                var (last, previous, stored) = current[stream];
                if (head.Version <= last)
                {
                    continue;
                }
                if (stored is null || !stored.AsSpan().SequenceEqual(head.Hash))
                {
                    // what this process appended is no longer what the store holds: for verify to report
                    refused.Add(stream);
                    continue;
                }
                var signature = key.Sign(stream, head.Version, head.Hash, previous);
                var c = new NpgsqlBatchCommand("SELECT sign_checkpoint($1, $2, $3, $4, $5, $6, $7)");
                c.Parameters.AddWithValue(stream);
                c.Parameters.AddWithValue(head.Version);
                c.Parameters.AddWithValue(head.Hash);
                c.Parameters.AddWithValue(key.Id);
                c.Parameters.AddWithValue(signature);
                c.Parameters.Add(new NpgsqlParameter { Value = (object?)previous ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea });
                c.Parameters.Add(new NpgsqlParameter { Value = (object?)anchorSeq ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
                batch.BatchCommands.Add(c);
                signed.Add((stream, head.Version, signature));
            }
            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
        var anchored = anchorSeq is { } upTo
            ? await StoreAnchors.SignAsync(conn, tx, key, anchor, upTo, signed, ct).ConfigureAwait(false)
            : null;
        await tx.CommitAsync(ct).ConfigureAwait(false);
        foreach (var (stream, head) in mine)
        {
            if (!refused.Contains(stream))
            {
                heads.Signed(stream, head);
            }
        }
        return new SignPass(signed.Count, refused, anchored);
    }

    /// <summary>
    /// Checkpoints whose head no longer matches the chain, that do not follow the stream's previous
    /// checkpoint, that name a key outside <paramref name="keys"/>, or whose signature the key rejects.
    /// Without keys, signatures are not checked; the structure still is.
    /// </summary>
    public static async Task<(List<BrokenLink> Broken, long Checked)> CheckAsync(NpgsqlDataSource db, CheckpointKeys? keys, CancellationToken ct = default, string? streamId = null)
    {
        var broken = new List<BrokenLink>();
        long n = 0;
        await using var cmd = db.CreateCommand("""
            SELECT c.stream_id, c.version, c.head_hash, c.key_id, c.signature, c.prev_signature, c.chained, e.hash, e.seq
              FROM chain_checkpoints c LEFT JOIN events e ON e.stream_id = c.stream_id AND e.version = c.version
             WHERE $1::text IS NULL OR c.stream_id = $1
             ORDER BY c.stream_id, c.version
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)streamId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
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
    public static async Task<List<BrokenLink>> UnsignedAsync(NpgsqlDataSource db, DateTimeOffset before, CancellationToken ct = default, string? streamId = null)
    {
        var broken = new List<BrokenLink>();
        await using var cmd = db.CreateCommand("""
            SELECT e.stream_id, min(e.version), min(e.seq), min(e.recorded_at)
              FROM events e
              LEFT JOIN (SELECT stream_id, max(version) AS version FROM chain_checkpoints
                          WHERE $2::text IS NULL OR stream_id = $2 GROUP BY stream_id) c ON c.stream_id = e.stream_id
             WHERE e.version > coalesce(c.version, 0) AND e.recorded_at < $1 AND ($2::text IS NULL OR e.stream_id = $2)
             GROUP BY e.stream_id ORDER BY e.stream_id
            """);
        cmd.Parameters.AddWithValue(before);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)streamId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            broken.Add(new BrokenLink(r.GetString(0), r.GetInt32(1), r.GetInt64(2),
                $"no signed checkpoint covers this event, recorded {r.GetFieldValue<DateTimeOffset>(3):u}, older than the signing interval: checkpoints were deleted, or the recorder was killed before it signed"));
        }
        return broken;
    }
}
