using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace ComplianceRecorder.EventStore.Encryption;

/// <summary>
/// The stored form of transcript text: <c>enc1:{data key id}:{base64url of nonce, ciphertext, tag}</c>,
/// AES-256-GCM with a random nonce per event; the key id is left empty when it is the event's stream (a call's
/// own key), as it is for nearly every event. base64url, as JSON escapes base64's '+'. The associated data binds it to its stream, event type and
/// source identity, so sealed text copied into another call's event does not open there. The hash chain
/// covers this form, so verify never needs the key and still passes once the key is destroyed.
/// </summary>
public static class SealedText
{
    public const string Prefix = "enc1:";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    public static bool IsSealed(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The data key a sealed text of <paramref name="stream"/> names, or null when it is not sealed.</summary>
    public static string? KeyIdOf(string stored, string stream)
    {
        if (!IsSealed(stored))
        {
            return null;
        }
        var end = stored.LastIndexOf(':');
        return end == Prefix.Length ? stream : end > Prefix.Length ? stored[Prefix.Length..end] : null;
    }

    public static AesGcm NewCipher(byte[] key) => new(key, TagBytes);

    public static string Seal(AesGcm cipher, string keyId, string plain, string stream, string type, string? sourceKey)
    {
        var plainBytes = Encoding.UTF8.GetByteCount(plain);
        var total = NonceBytes + plainBytes + TagBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(total + Aad.MaxBytes(stream, type, sourceKey));
        try
        {
            var sealedBytes = buffer.AsSpan(0, total);
            var aad = Aad.Write(buffer.AsSpan(total), stream, type, sourceKey);
            var nonce = sealedBytes[..NonceBytes];
            RandomNumberGenerator.Fill(nonce);
            var body = sealedBytes.Slice(NonceBytes, plainBytes);
            Encoding.UTF8.GetBytes(plain, body);
            lock (cipher)
            {
                // in place: the plaintext's bytes are overwritten by the ciphertext's
                cipher.Encrypt(nonce, body, body, sealedBytes[(NonceBytes + plainBytes)..], aad);
            }
            return string.Concat(Prefix, keyId == stream ? "" : keyId, ":", Base64Url.EncodeToString(sealedBytes));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, total));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The text, or null when it does not open with this key and binding (tampered, or moved).</summary>
    public static string? Open(AesGcm cipher, string stored, string stream, string type, string? sourceKey)
    {
        var sealedBytes = Base64Url.DecodeFromChars(stored.AsSpan(stored.LastIndexOf(':') + 1));
        if (sealedBytes.Length < NonceBytes + TagBytes)
        {
            return null;
        }
        var plainBytes = sealedBytes.Length - NonceBytes - TagBytes;
        var aad = new byte[Aad.MaxBytes(stream, type, sourceKey)];
        var used = Aad.Write(aad, stream, type, sourceKey);
        var plain = new byte[plainBytes];
        try
        {
            lock (cipher)
            {
                cipher.Decrypt(sealedBytes.AsSpan(0, NonceBytes), sealedBytes.AsSpan(NonceBytes, plainBytes), sealedBytes.AsSpan(NonceBytes + plainBytes), plain, used);
            }
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        return Encoding.UTF8.GetString(plain);
    }

    private static class Aad
    {
        public static int MaxBytes(string stream, string type, string? sourceKey) =>
            Encoding.UTF8.GetMaxByteCount(stream.Length + type.Length + (sourceKey?.Length ?? 0) + 2);

        public static Span<byte> Write(Span<byte> into, string stream, string type, string? sourceKey)
        {
            var n = Encoding.UTF8.GetBytes(stream, into);
            into[n++] = (byte)'\n';
            n += Encoding.UTF8.GetBytes(type, into[n..]);
            into[n++] = (byte)'\n';
            n += Encoding.UTF8.GetBytes(sourceKey ?? "", into[n..]);
            return into[..n];
        }
    }
}
