using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace ComplianceRecorder.EventStore.Verification;

/// <summary>The first event whose stored hash does not match what its bytes and predecessor give.</summary>
public sealed record BrokenLink(string StreamId, int Version, long Seq, string Reason);

public sealed record VerifyReport(long Streams, long Events, IReadOnlyList<BrokenLink> Broken, int CheckpointsBroken = 0)
{
    public bool Ok => Broken.Count == 0;
}

/// <summary>
/// Recomputes every stream's hash chain from the stored columns, independently of the database
/// function that wrote it, and names the first broken link of each stream.
/// </summary>
public static class ChainVerifier
{
    /// <param name="key">When given, signed checkpoints are checked against it too.</param>
    public static async Task<VerifyReport> VerifyAsync(NpgsqlDataSource db, CheckpointKey? key = null, CancellationToken ct = default)
    {
        var report = await VerifyChainsAsync(db, ct).ConfigureAwait(false);
        var checkpoints = await ChainCheckpoints.CheckAsync(db, key, ct).ConfigureAwait(false);
        return checkpoints.Count == 0 ? report : report with { Broken = [.. report.Broken, .. checkpoints], CheckpointsBroken = checkpoints.Count };
    }

    private static async Task<VerifyReport> VerifyChainsAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "SELECT stream_id, version, seq, type, schema_version, data::text, metadata::text, prev_hash, hash FROM events ORDER BY stream_id, version", conn, tx);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var broken = new List<BrokenLink>();
        string? stream = null;
        var head = Array.Empty<byte>();
        var expectedVersion = 0;
        var skip = false;
        long streams = 0, events = 0;
        var scratch = new HashScratch();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            events++;
            var s = r.GetString(0);
            var version = r.GetInt32(1);
            if (s != stream)
            {
                stream = s;
                head = [];
                expectedVersion = 0;
                skip = false;
                streams++;
            }
            if (skip)
            {
                continue;
            }
            var seq = r.GetInt64(2);
            var prev = (byte[])r[7];
            var hash = (byte[])r[8];
            string? reason = null;
            if (version != ++expectedVersion)
            {
                reason = $"version {version} follows {expectedVersion - 1}: an event is missing";
            }
            else if (!prev.AsSpan().SequenceEqual(head))
            {
                reason = "prev_hash does not match the previous event's hash";
            }
            else
            {
                var canonical = $"{s}\n{version}\n{r.GetString(3)}\n{r.GetInt32(4)}\n{r.GetString(5)}\n{r.GetString(6)}";
                var computed = scratch.Hash(head, canonical);
                if (!computed.AsSpan().SequenceEqual(hash))
                {
                    reason = "content does not match its hash";
                }
            }
            if (reason is not null)
            {
                broken.Add(new BrokenLink(s, version, seq, reason));
                skip = true;
                continue;
            }
            head = hash;
        }
        return new VerifyReport(streams, events, broken);
    }

    /// <summary>One reused buffer for the bytes each link hashes, so verify does not allocate per event.</summary>
    private sealed class HashScratch
    {
        private byte[] _bytes = new byte[4096];

        public byte[] Hash(byte[] head, string canonical)
        {
            var need = head.Length + Encoding.UTF8.GetMaxByteCount(canonical.Length);
            if (_bytes.Length < need)
            {
                _bytes = new byte[need * 2];
            }
            head.CopyTo(_bytes, 0);
            var n = head.Length + Encoding.UTF8.GetBytes(canonical, 0, canonical.Length, _bytes, head.Length);
            return SHA256.HashData(_bytes.AsSpan(0, n));
        }
    }
}
