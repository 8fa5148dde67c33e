using System.Globalization;
using System.Security.Cryptography;
using Npgsql;

namespace ComplianceRecorder.EventStore.Encryption;

/// <summary>
/// The one way text is read back from the store: sealed text is opened with its call's key; a call whose
/// key was destroyed reads <c>[erased YYYY-MM-DD]</c> or <c>[expired YYYY-MM-DD]</c> (the day of the
/// event that ordered it); text stored before encryption was introduced reads as it is. Each
/// <see cref="Reading"/> (one caption replay, one WebVTT) keeps the keys it opened for its own length only,
/// so a key destroyed meanwhile is not used by the next reading.
/// </summary>
public sealed class StoredText(NpgsqlDataSource db, IMasterKeyProvider master)
{
    public Reading Begin() => new(this);

    public sealed class Reading(StoredText owner) : IDisposable
    {
        private readonly Dictionary<string, (AesGcm? Cipher, string Gone)> _keys = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string?> _plainGone = new(StringComparer.Ordinal);

        /// <param name="stored">the text as stored in the event's data</param>
        /// <param name="stream">the event's stream id</param>
        /// <param name="type">the event's type</param>
        /// <param name="sourceKey">the event's source key column</param>
        public async ValueTask<string> OpenAsync(string stored, string stream, string type, string? sourceKey, CancellationToken ct = default)
        {
            if (SealedText.KeyIdOf(stored, stream) is not { } keyId)
            {
                // text stored before sealing began cannot be shredded from the record, but a call erased or
                // expired since must not show it either: it reads as its key does
                if (!_plainGone.TryGetValue(stream, out var gone))
                {
                    _plainGone[stream] = gone = await owner.GoneAsync(stream, ct).ConfigureAwait(false);
                }
                return gone ?? stored;
            }
            if (!_keys.TryGetValue(keyId, out var key))
            {
                _keys[keyId] = key = await owner.LoadAsync(keyId, ct).ConfigureAwait(false);
            }
            if (key.Cipher is null)
            {
                return key.Gone;
            }
            try
            {
                return SealedText.Open(key.Cipher, stored, stream, type, sourceKey) ?? "[unreadable: the text does not open with its call's key]";
            }
            catch (FormatException)
            {
                return "[unreadable: the sealed text is malformed]";
            }
        }

        public void Dispose()
        {
            foreach (var (cipher, _) in _keys.Values)
            {
                cipher?.Dispose();
            }
            _keys.Clear();
            _plainGone.Clear();
        }
    }

    /// <summary>What a call's text reads once its key is destroyed, or null while it stands (no key is opened to tell).</summary>
    private async Task<string?> GoneAsync(string keyId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT destroyed_at, destroyed_by FROM data_keys WHERE key_id = $1 AND destroyed_at IS NOT NULL");
        cmd.Parameters.AddWithValue(keyId);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? Gone(r.IsDBNull(1) ? null : r.GetString(1), r.GetFieldValue<DateTimeOffset>(0)) : null;
    }

    private async Task<(AesGcm?, string)> LoadAsync(string keyId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT wrapped, master_key_id, destroyed_at, destroyed_by FROM data_keys WHERE key_id = $1");
        cmd.Parameters.AddWithValue(keyId);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false))
        {
            return (null, "[unreadable: the call's key is missing]");
        }
        if (r.IsDBNull(0))
        {
            return (null, Gone(r.IsDBNull(3) ? null : r.GetString(3), r.GetFieldValue<DateTimeOffset>(2)));
        }
        byte[] key;
        try
        {
            key = await master.UnwrapAsync(r.GetString(1), keyId, (byte[])r[0], ct).ConfigureAwait(false);
        }
        catch (CryptographicException)
        {
            // a reader shows why, and goes on with the other calls; the start refuses a store whose keys it cannot open
            return (null, $"[unreadable: master key {r.GetString(1)} is not configured or does not open the call's key]");
        }
        try
        {
            return (SealedText.NewCipher(key), "");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>What a destroyed call's text reads: why, and the day.</summary>
    public static string Gone(string? destroyedBy, DateTimeOffset at) =>
        string.Create(CultureInfo.InvariantCulture, $"[{(destroyedBy == "call_expired" ? "expired" : "erased")} {at.UtcDateTime:yyyy-MM-dd}]");
}
