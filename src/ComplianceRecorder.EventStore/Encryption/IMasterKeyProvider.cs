namespace ComplianceRecorder.EventStore.Encryption;

/// <summary>
/// Wraps and unwraps the calls' data keys. The built-in one (<see cref="LocalMasterKeys"/>) holds the master
/// key in memory, from a file or the environment; an implementation backed by a KMS wraps there instead, so
/// the master key never leaves it. Key ids name which master wrapped a data key, so a rotated-out master
/// still unwraps what it wrapped until <c>rotate-master-key</c> has re-wrapped everything.
/// </summary>
public interface IMasterKeyProvider
{
    /// <summary>The master key new data keys are wrapped with.</summary>
    string CurrentKeyId { get; }

    /// <summary>Wraps <paramref name="dataKey"/> with the current master, bound to <paramref name="dataKeyId"/>.</summary>
    ValueTask<byte[]> WrapAsync(string dataKeyId, byte[] dataKey, CancellationToken ct = default);

    /// <summary>Unwraps what <paramref name="masterKeyId"/> wrapped; throws <see cref="System.Security.Cryptography.CryptographicException"/> when it does not open.</summary>
    ValueTask<byte[]> UnwrapAsync(string masterKeyId, string dataKeyId, byte[] wrapped, CancellationToken ct = default);
}
