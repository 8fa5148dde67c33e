using System.Collections.Concurrent;

namespace ComplianceRecorder.EventStore.Verification;

/// <summary>
/// The heads this process appended and has not signed yet. The signer signs only these: a head read
/// back from <c>streams</c> is whatever the owner left there, and signing it would vouch for a chain
/// rewritten after its checkpoints were deleted. Kept in memory only, so nothing outside this process
/// can add to it.
/// </summary>
public sealed class AppendedHeads
{
    private readonly ConcurrentDictionary<string, AppendedHead> _heads = new(StringComparer.Ordinal);

    public void Record(string streamId, AppendedHead head) =>
        _heads.AddOrUpdate(streamId, static (_, h) => h, static (_, known, h) => h.Version > known.Version ? h : known, head);

    internal IReadOnlyList<KeyValuePair<string, AppendedHead>> Unsigned() => [.. _heads];

    /// <summary>Forgets a head once it is signed, unless a later one was appended meanwhile.</summary>
    internal void Signed(string streamId, AppendedHead head) => _heads.TryRemove(new KeyValuePair<string, AppendedHead>(streamId, head));

    public int Count => _heads.Count;
}
