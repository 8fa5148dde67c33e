using System.Security.Cryptography;
using System.Text;

namespace ComplianceRecorder.EventStore.Verification;

/// <summary>A key for signing stream heads. The key id is recorded with each signature; the key never is.</summary>
public sealed record CheckpointKey(string Id, byte[] Secret)
{
    /// <summary>A key named by the start of its own SHA-256, which names it without revealing it.</summary>
    public static CheckpointKey FromSecret(byte[] secret) => new(Convert.ToHexStringLower(SHA256.HashData(secret))[..12], secret);

    /// <summary>
    /// A chained checkpoint signs the previous checkpoint of its stream as well, so removing one breaks
    /// the signature of the next.
    /// </summary>
    public byte[] Sign(string streamId, int version, byte[] headHash, byte[]? previousSignature) =>
        HMACSHA256.HashData(Secret, Encoding.UTF8.GetBytes(
            $"{streamId}\n{version}\n{Convert.ToHexStringLower(headHash)}\n{Convert.ToHexStringLower(previousSignature ?? [])}"));

    /// <summary>A store-wide anchor: the events at or below a sequence number, the checkpoints signed with it, and the anchor before.</summary>
    public byte[] SignAnchor(long maxSeq, long events, byte[] checkpointsDigest, byte[]? previousSignature) =>
        HMACSHA256.HashData(Secret, Encoding.UTF8.GetBytes(
            $"anchor\n{maxSeq}\n{events}\n{Convert.ToHexStringLower(checkpointsDigest)}\n{Convert.ToHexStringLower(previousSignature ?? [])}"));

    /// <summary>What checkpoints signed before they were chained cover.</summary>
    public byte[] SignUnchained(string streamId, int version, byte[] headHash) =>
        HMACSHA256.HashData(Secret, Encoding.UTF8.GetBytes($"{streamId}\n{version}\n{Convert.ToHexStringLower(headHash)}"));
}
