using System.Collections.Concurrent;
using System.Security.Cryptography;
using ComplianceRecorder.Pipeline.Events;
using Npgsql;
using NpgsqlTypes;

namespace ComplianceRecorder.EventStore.Encryption;

/// <summary>
/// The append side of encryption at rest: each call's data key (one per call, one per day for quarantined
/// frames, whose call is unknown), made on its first text, stored wrapped in <c>data_keys</c> and kept
/// unwrapped in memory while the call goes on. Text is redacted before it gets here; this seals what
/// redaction let through. A call whose key is destroyed gets no new key: its late text is stored as
/// <see cref="Destroyed"/>, never in the clear.
/// </summary>
public sealed class DataKeys(NpgsqlDataSource db, IMasterKeyProvider master)
{
    /// <summary>What is stored in place of text that arrives for a call whose key is already destroyed.</summary>
    public const string Destroyed = "[erased]";

    // live calls are few; the bound only stops a recorder that never hears calls end from growing without end
    private const int MaxCached = 100_000;
    private readonly ConcurrentDictionary<string, AesGcm?> _ciphers = new(StringComparer.Ordinal);

    public IMasterKeyProvider Master => master;

    /// <summary>The key that seals <paramref name="e"/>'s text, or null when it carries none.</summary>
    public static string? KeyIdOf(RecordedEvent e) => e switch
    {
        SegmentRecorded s => JsonSafeString.Sanitize(s.ConversationId),
        FrameQuarantined q => $"{Streams.Quarantine}/{q.ReceivedAt.UtcDateTime:yyyy-MM-dd}",
        _ => null,
    };

    /// <summary>Replaces each event's text with its sealed form (stream ids and source keys as they will be stored).</summary>
    /// <remarks>
    /// The batch's keys are looked up once, into a map of its own, before anything is sealed: the cache may be
    /// pruned by another committer connection meanwhile, and a call's end in this batch drops its key from the
    /// cache, neither of which may turn text later in the batch into <see cref="Destroyed"/>.
    /// </remarks>
    public async Task SealAsync(RecordedEvent[] events, string[] streams, string?[] sourceKeys, CancellationToken ct = default)
    {
        Dictionary<string, AesGcm?>? batch = null;
        Dictionary<string, string>? missing = null;
        foreach (var e in events)
        {
            if (KeyIdOf(e) is not { } id || (batch?.ContainsKey(id) ?? false))
            {
                continue;
            }
            if (_ciphers.TryGetValue(id, out var cached))
            {
                (batch ??= new(StringComparer.Ordinal))[id] = cached;
            }
            else
            {
                (missing ??= new(StringComparer.Ordinal))[id] = e.StreamId;
            }
        }
        if (missing is not null)
        {
            await LoadAsync(missing, batch ??= new(StringComparer.Ordinal), ct).ConfigureAwait(false);
        }
        List<string>? ended = null;
        for (var i = 0; i < events.Length; i++)
        {
            switch (events[i])
            {
                case SegmentRecorded s:
                    events[i] = s with { Text = Seal(batch!, KeyIdOf(s)!, s.Text, streams[i], s.Type, sourceKeys[i]) };
                    break;
                case FrameQuarantined q:
                    events[i] = q with { RedactedFrame = Seal(batch!, KeyIdOf(q)!, q.RedactedFrame, streams[i], q.Type, sourceKeys[i]) };
                    break;
                case CallEnded:
                    (ended ??= []).Add(streams[i]);
                    break;
            }
        }
        // a late frame after the end fetches the key again (create_data_keys returns the stored one)
        foreach (var stream in ended ?? [])
        {
            _ciphers.TryRemove(stream, out _);
        }
        if (_ciphers.Count > MaxCached)
        {
            _ciphers.Clear();
        }
    }

    private static string Seal(Dictionary<string, AesGcm?> batch, string keyId, string plain, string stream, string type, string? sourceKey) =>
        batch.TryGetValue(keyId, out var cipher) && cipher is not null
            ? SealedText.Seal(cipher, keyId, JsonSafeString.Sanitize(plain), stream, type, sourceKey)
            : Destroyed;

    /// <summary>Keys this process destroyed (or saw destroyed) are dropped at once, not at the call's end.</summary>
    public void Forget(IEnumerable<string> keyIds)
    {
        foreach (var id in keyIds)
        {
            _ciphers.TryRemove(id, out _);
        }
    }

    /// <summary>A secret of the store's own (the customer-identifier hash key), made once and kept wrapped like a data key.</summary>
    public async Task<byte[]> SecretAsync(string keyId, CancellationToken ct = default)
    {
        var rows = await CreateAsync([keyId], [keyId], ct).ConfigureAwait(false);
        var (_, wrapped, masterId, fresh) = rows[0];
        if (wrapped is null)
        {
            throw new InvalidOperationException($"the store's key {keyId} is destroyed");
        }
        return fresh ?? await master.UnwrapAsync(masterId!, keyId, wrapped, ct).ConfigureAwait(false);
    }

    private async Task LoadAsync(Dictionary<string, string> missing, Dictionary<string, AesGcm?> batch, CancellationToken ct)
    {
        foreach (var (id, wrapped, masterId, fresh) in await CreateAsync([.. missing.Keys], [.. missing.Values], ct).ConfigureAwait(false))
        {
            if (wrapped is null)
            {
                _ciphers[id] = batch[id] = null;
                continue;
            }
            var key = fresh ?? await master.UnwrapAsync(masterId!, id, wrapped, ct).ConfigureAwait(false);
            _ciphers[id] = batch[id] = SealedText.NewCipher(key);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Stores a new key for each id that has none; returns each as stored, with the new key itself when ours won.</summary>
    private async Task<List<(string Id, byte[]? Wrapped, string? MasterId, byte[]? Fresh)>> CreateAsync(string[] ids, string[] streams, CancellationToken ct)
    {
        var fresh = new byte[ids.Length][];
        var wrapped = new byte[ids.Length][];
        for (var i = 0; i < ids.Length; i++)
        {
            fresh[i] = RandomNumberGenerator.GetBytes(32);
            wrapped[i] = await master.WrapAsync(ids[i], fresh[i], ct).ConfigureAwait(false);
        }
        await using var cmd = db.CreateCommand("SELECT key_id, wrapped, master_key_id FROM create_data_keys($1, $2, $3, $4)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = streams, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = wrapped, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        cmd.Parameters.Add(new NpgsqlParameter { Value = master.CurrentKeyId, NpgsqlDbType = NpgsqlDbType.Text });
        var rows = new List<(string, byte[]?, string?, byte[]?)>();
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var id = r.GetString(0);
                var stored = r.IsDBNull(1) ? null : (byte[])r[1];
                var i = Array.IndexOf(ids, id);
                rows.Add((id, stored, r.IsDBNull(2) ? null : r.GetString(2), stored is not null && stored.AsSpan().SequenceEqual(wrapped[i]) ? fresh[i] : null));
            }
        }
        foreach (var (i, key) in fresh.Index())
        {
            if (!rows.Exists(r => r.Item4 == key))
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
        return rows;
    }

    /// <summary>
    /// The masters the store's live data keys are wrapped by that <paramref name="master"/> cannot open: one key
    /// of each master is unwrapped as a probe. A recorder started without one would stall on the first call it
    /// resumes or backfills, and readers would show its calls as unreadable, so the start refuses it.
    /// </summary>
    public static async Task<IReadOnlyList<string>> UnopenableMastersAsync(NpgsqlDataSource db, IMasterKeyProvider master, CancellationToken ct = default)
    {
        var failed = new List<string>();
        await using var cmd = db.CreateCommand("SELECT DISTINCT ON (master_key_id) master_key_id, key_id, wrapped FROM data_keys WHERE wrapped IS NOT NULL ORDER BY master_key_id, key_id");
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            try
            {
                CryptographicOperations.ZeroMemory(await master.UnwrapAsync(r.GetString(0), r.GetString(1), (byte[])r[2], ct).ConfigureAwait(false));
            }
            catch (CryptographicException)
            {
                failed.Add(r.GetString(0));
            }
        }
        return failed;
    }

    /// <summary>
    /// Master-key rotation: every data key wrapped by another master is unwrapped and wrapped by the current
    /// one, a page at a time. Events are not touched. Returns how many keys were re-wrapped.
    /// </summary>
    public static async Task<int> RewrapAsync(NpgsqlDataSource db, IMasterKeyProvider master, CancellationToken ct = default)
    {
        var done = 0;
        var after = "";
        while (true)
        {
            var ids = new List<string>();
            var from = new List<string>();
            var wrapped = new List<byte[]>();
            await using (var read = db.CreateCommand("SELECT key_id, master_key_id, wrapped FROM data_keys WHERE wrapped IS NOT NULL AND master_key_id <> $1 AND key_id > $2 ORDER BY key_id LIMIT 1000"))
            {
                read.Parameters.AddWithValue(master.CurrentKeyId);
                read.Parameters.AddWithValue(after);
                await using var r = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    var id = r.GetString(0);
                    var key = await master.UnwrapAsync(r.GetString(1), id, (byte[])r[2], ct).ConfigureAwait(false);
                    ids.Add(id);
                    from.Add(r.GetString(1));
                    wrapped.Add(await master.WrapAsync(id, key, ct).ConfigureAwait(false));
                    CryptographicOperations.ZeroMemory(key);
                }
            }
            if (ids.Count == 0)
            {
                return done;
            }
            after = ids[^1];
            await using var write = db.CreateCommand("SELECT rewrap_data_keys($1, $2, $3, $4)");
            write.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            write.Parameters.Add(new NpgsqlParameter { Value = wrapped.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            write.Parameters.Add(new NpgsqlParameter { Value = from.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            write.Parameters.Add(new NpgsqlParameter { Value = master.CurrentKeyId, NpgsqlDbType = NpgsqlDbType.Text });
            done += (int)(await write.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }
    }
}
