using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace ComplianceRecorder.EventStore.Verification;

/// <summary>
/// Store-wide anchors: stream checkpoints cannot see a stream deleted whole (its checkpoints with it),
/// a count of every event below a committed sequence number can. Verify recounts each anchor's range and
/// recomputes the digest of the checkpoints it signed. Deleting the newest anchor (and what it covered)
/// is found only against an outside copy: the recorder logs each anchor for that.
/// </summary>
public static class StoreAnchors
{
    internal static async Task<StoreAnchor?> LatestAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT max_seq, events, signature FROM chain_anchors ORDER BY max_seq DESC LIMIT 1", conn, tx);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? new StoreAnchor(r.GetInt64(0), r.GetInt64(1), (byte[])r[2]) : null;
    }

    /// <param name="upTo">A sequence number every append below has committed by (the append lock's high-water mark).</param>
    internal static async Task<StoreAnchor> SignAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CheckpointKey key, StoreAnchor? previous, long upTo,
        IReadOnlyList<(string Stream, int Version, byte[] Signature)> checkpoints, CancellationToken ct)
    {
        long events;
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM events WHERE seq > $1 AND seq <= $2", conn, tx))
        {
            count.Parameters.AddWithValue(previous?.MaxSeq ?? 0);
            count.Parameters.AddWithValue(upTo);
            events = (previous?.Events ?? 0) + (long)(await count.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }
        var digest = Digest(checkpoints);
        var signature = key.SignAnchor(upTo, events, digest, previous?.Signature);
        await using var cmd = new NpgsqlCommand("SELECT sign_anchor($1, $2, $3, $4, $5, $6)", conn, tx);
        cmd.Parameters.AddWithValue(upTo);
        cmd.Parameters.AddWithValue(events);
        cmd.Parameters.AddWithValue(digest);
        cmd.Parameters.AddWithValue(key.Id);
        cmd.Parameters.AddWithValue(signature);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)previous?.Signature ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return new StoreAnchor(upTo, events, signature);
    }

    /// <summary>The checkpoints one anchor signed, in an order that does not depend on the database's collation.</summary>
    internal static byte[] Digest(IEnumerable<(string Stream, int Version, byte[] Signature)> checkpoints)
    {
        var text = new StringBuilder();
        foreach (var (stream, version, signature) in checkpoints.OrderBy(c => c.Stream, StringComparer.Ordinal))
        {
            text.Append(stream).Append('\n').Append(version).Append('\n').Append(Convert.ToHexStringLower(signature)).Append('\n');
        }
        return SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>
    /// Anchors whose count no longer matches the events in their range, that do not chain onto the
    /// anchor before, whose checkpoints were removed, or whose signature the key set rejects; and
    /// checkpoints that name an anchor that is gone.
    /// </summary>
    public static async Task<List<BrokenLink>> CheckAsync(NpgsqlDataSource db, CheckpointKeys? keys, CancellationToken ct = default)
    {
        var byAnchor = new Dictionary<long, List<(string, int, byte[])>>();
        await using (var cmd = db.CreateCommand("SELECT anchor_seq, stream_id, version, signature FROM chain_checkpoints WHERE anchor_seq IS NOT NULL"))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var seq = r.GetInt64(0);
                if (!byAnchor.TryGetValue(seq, out var list))
                {
                    byAnchor[seq] = list = [];
                }
                list.Add((r.GetString(1), r.GetInt32(2), (byte[])r[3]));
            }
        }
        var broken = new List<BrokenLink>();
        await using (var cmd = db.CreateCommand("""
            WITH a AS (SELECT *, lag(max_seq, 1, 0::bigint) OVER (ORDER BY max_seq) AS from_seq FROM chain_anchors)
            SELECT a.max_seq, a.events, a.digest, a.key_id, a.signature, a.prev_signature,
                   (SELECT count(*) FROM events e WHERE e.seq > a.from_seq AND e.seq <= a.max_seq)
              FROM a ORDER BY a.max_seq
            """))
        {
            cmd.CommandTimeout = 0;
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            long counted = 0;
            byte[]? previous = null;
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var maxSeq = r.GetInt64(0);
                var events = r.GetInt64(1);
                var digest = (byte[])r[2];
                var keyId = r.GetString(3);
                var signature = (byte[])r[4];
                var claimedPrevious = r.IsDBNull(5) ? null : (byte[])r[5];
                counted += r.GetInt64(6);
                string? reason = null;
                if (counted != events)
                {
                    reason = $"the anchor signed {events} events at or below seq {maxSeq}, the store holds {counted}: events were deleted or inserted";
                }
                else if (!(claimedPrevious ?? []).AsSpan().SequenceEqual(previous ?? []))
                {
                    reason = "the signed anchor before this one is missing";
                }
                else if (!digest.AsSpan().SequenceEqual(Digest(byAnchor.GetValueOrDefault(maxSeq) ?? [])))
                {
                    reason = "a checkpoint this anchor signed is missing or altered";
                }
                else if (keys is not null)
                {
                    var key = keys.Find(keyId);
                    reason = key is null
                        ? $"anchor signed with key id {keyId}, which is not in the configured key set"
                        : CryptographicOperations.FixedTimeEquals(key.SignAnchor(maxSeq, events, digest, claimedPrevious), signature)
                            ? null
                            : "anchor signature does not verify";
                }
                if (reason is not null)
                {
                    broken.Add(new BrokenLink("(store anchor)", 0, maxSeq, reason));
                    // the recount goes on from what was signed, so one deletion is reported once
                    counted = events;
                }
                byAnchor.Remove(maxSeq);
                previous = signature;
            }
        }
        foreach (var (seq, list) in byAnchor)
        {
            foreach (var (stream, version, _) in list)
            {
                broken.Add(new BrokenLink(stream, version, seq, $"the store anchor at seq {seq} that signed this checkpoint is missing"));
            }
        }
        return broken;
    }
}
