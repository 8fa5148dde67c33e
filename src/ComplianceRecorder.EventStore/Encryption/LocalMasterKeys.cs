using System.Security.Cryptography;
using System.Text;

namespace ComplianceRecorder.EventStore.Encryption;

/// <summary>
/// Master keys held in memory (Recorder:MasterKey or :MasterKeyFile, and retired ones that still unwrap):
/// AES-256-GCM over each data key, bound to the data key's id so a wrapped key cannot be moved to another
/// call. A key's id is the start of its SHA-256, as a checkpoint key's is: it names the key, never reveals it.
/// </summary>
public sealed class LocalMasterKeys : IMasterKeyProvider
{
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private readonly byte[] _current;
    private readonly Dictionary<string, byte[]> _all = new(StringComparer.Ordinal);

    public LocalMasterKeys(byte[] current, IEnumerable<byte[]>? retired = null)
    {
        if (current.Length != 32)
        {
            throw new ArgumentException("a master key is 32 bytes (AES-256)", nameof(current));
        }
        _current = current;
        CurrentKeyId = IdOf(current);
        _all[CurrentKeyId] = current;
        foreach (var key in retired ?? [])
        {
            if (key.Length != 32)
            {
                throw new ArgumentException("a retired master key is 32 bytes (AES-256)", nameof(retired));
            }
            _all.TryAdd(IdOf(key), key);
        }
    }

    public string CurrentKeyId { get; }

    public static string IdOf(byte[] key) => "mk-" + Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 8));

    public ValueTask<byte[]> WrapAsync(string dataKeyId, byte[] dataKey, CancellationToken ct = default)
    {
        var wrapped = new byte[NonceBytes + dataKey.Length + TagBytes];
        var nonce = wrapped.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_current, TagBytes);
        aes.Encrypt(nonce, dataKey, wrapped.AsSpan(NonceBytes, dataKey.Length), wrapped.AsSpan(NonceBytes + dataKey.Length), Encoding.UTF8.GetBytes(dataKeyId));
        return ValueTask.FromResult(wrapped);
    }

    public ValueTask<byte[]> UnwrapAsync(string masterKeyId, string dataKeyId, byte[] wrapped, CancellationToken ct = default)
    {
        if (!_all.TryGetValue(masterKeyId, out var master))
        {
            throw new CryptographicException($"data key {dataKeyId} is wrapped by master key {masterKeyId}, which is not configured (Recorder:MasterKey or Recorder:RetiredMasterKeys)");
        }
        if (wrapped.Length <= NonceBytes + TagBytes)
        {
            throw new CryptographicException($"data key {dataKeyId}: the wrapped key is too short");
        }
        var key = new byte[wrapped.Length - NonceBytes - TagBytes];
        using var aes = new AesGcm(master, TagBytes);
        aes.Decrypt(wrapped.AsSpan(0, NonceBytes), wrapped.AsSpan(NonceBytes, key.Length), wrapped.AsSpan(NonceBytes + key.Length), key, Encoding.UTF8.GetBytes(dataKeyId));
        return ValueTask.FromResult(key);
    }
}
