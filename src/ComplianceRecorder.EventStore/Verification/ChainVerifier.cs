using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace ComplianceRecorder.EventStore.Verification;

/// <summary>
/// Recomputes every stream's hash chain from the stored columns, independently of the database
/// function that wrote it, and names the first broken link of each stream; then checks the signed
/// checkpoints and that the projections are what a replay of the events gives.
/// </summary>
public static class ChainVerifier
{
    /// <param name="keys">When given, checkpoint signatures are checked against them; without, only their structure.</param>
    /// <param name="unsignedBefore">When given, events recorded before it must be covered by a signed checkpoint.</param>
    /// <param name="progress">Told the events whose links were checked so far, ending at the total.</param>
    public static async Task<VerifyReport> VerifyAsync(NpgsqlDataSource db, CheckpointKeys? keys = null, DateTimeOffset? unsignedBefore = null, IProgress<EventProgress>? progress = null, CancellationToken ct = default)
    {
        var report = await VerifyChainsAsync(db, progress, ct).ConfigureAwait(false);
        var (checkpoints, n) = await ChainCheckpoints.CheckAsync(db, keys, ct).ConfigureAwait(false);
        checkpoints.AddRange(await StoreAnchors.CheckAsync(db, keys, ct).ConfigureAwait(false));
        if (unsignedBefore is { } before)
        {
            checkpoints.AddRange(await ChainCheckpoints.UnsignedAsync(db, before, ct).ConfigureAwait(false));
        }
        var projections = await ProjectionCheck.MismatchesAsync(db, ct).ConfigureAwait(false);
        return report with
        {
            Broken = [.. report.Broken, .. checkpoints],
            CheckpointsBroken = checkpoints.Count,
            Checkpoints = n,
            SignaturesChecked = keys is not null,
            Projections = projections,
        };
    }

    /// <summary>
    /// One stream's hash chain and its signed checkpoints, by the same code as the full verify: what the
    /// console's "verify this call" asks. Its events recorded before <paramref name="unsignedBefore"/> must be
    /// covered by a checkpoint, as in the full verify, and its last event must be the head <c>streams</c>
    /// records. The report says how far it is signed: a head past the last checkpoint is not yet proven.
    /// Anchors and projections are store-wide and left to the full verify.
    /// </summary>
    public static async Task<VerifyReport> VerifyStreamAsync(NpgsqlDataSource db, string streamId, CheckpointKeys? keys, DateTimeOffset? unsignedBefore = null, CancellationToken ct = default)
    {
        var report = await VerifyChainsAsync(db, null, ct, streamId).ConfigureAwait(false);
        var (checkpoints, n) = await ChainCheckpoints.CheckAsync(db, keys, ct, streamId).ConfigureAwait(false);
        if (unsignedBefore is { } before)
        {
            checkpoints.AddRange(await ChainCheckpoints.UnsignedAsync(db, before, ct, streamId).ConfigureAwait(false));
        }
        var (head, signed, headBroken) = await HeadAsync(db, streamId, ct).ConfigureAwait(false);
        return report with
        {
            Broken = [.. report.Broken, .. headBroken, .. checkpoints],
            CheckpointsBroken = checkpoints.Count,
            Checkpoints = n,
            SignaturesChecked = keys is not null,
            HeadVersion = head,
            SignedVersion = signed,
        };
    }

    /// <summary>The stream's last event against the head <c>streams</c> records, and its newest checkpoint's version.</summary>
    private static async Task<(int Head, int Signed, BrokenLink[] Broken)> HeadAsync(NpgsqlDataSource db, string streamId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT e.version, e.hash, e.seq, s.version, s.head_hash,
                   (SELECT coalesce(max(c.version), 0) FROM chain_checkpoints c WHERE c.stream_id = $1)
              FROM (SELECT 1) one
              LEFT JOIN LATERAL (SELECT version, hash, seq FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1) e ON true
              LEFT JOIN streams s ON s.id = $1
            """);
        cmd.Parameters.AddWithValue(streamId);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        var signed = r.GetInt32(5);
        if (r.IsDBNull(0))
        {
            return (0, signed, []);
        }
        var (version, hash, seq) = (r.GetInt32(0), (byte[])r[1], r.GetInt64(2));
        string? reason = r.IsDBNull(3) ? "the stream has events but no head in streams"
            : r.GetInt32(3) != version ? $"the stream's head in streams is version {r.GetInt32(3)}, its last event is version {version}"
            : !((byte[])r[4]).AsSpan().SequenceEqual(hash) ? "the stream's head hash in streams is not its last event's hash"
            : null;
        return (version, signed, reason is null ? [] : [new BrokenLink(streamId, version, seq, reason)]);
    }

    private static async Task<VerifyReport> VerifyChainsAsync(NpgsqlDataSource db, IProgress<EventProgress>? progress, CancellationToken ct, string? streamId = null)
    {
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        // counted in the scan's own snapshot, and only when someone is watching: it costs a pass over the table
        long total = 0;
        if (progress is not null)
        {
            await using var count = new NpgsqlCommand("SELECT count(*) FROM events", conn, tx);
            total = (long)(await count.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            progress.Report(new EventProgress(0, total));
        }
        var every = Math.Max(1, total / 100);
        await using var cmd = new NpgsqlCommand(
            "SELECT stream_id, version, seq, type, schema_version, data::text, metadata::text, prev_hash, hash FROM events"
            + (streamId is null ? "" : " WHERE stream_id = $1") + " ORDER BY stream_id, version", conn, tx);
        if (streamId is not null)
        {
            cmd.Parameters.AddWithValue(streamId);
        }
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
            if (++events % every == 0)
            {
                progress?.Report(new EventProgress(events, total));
            }
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
        if (events % every != 0)
        {
            progress?.Report(new EventProgress(events, total));
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
