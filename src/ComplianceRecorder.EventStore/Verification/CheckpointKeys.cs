using System.Security.Cryptography;
using System.Text;

namespace ComplianceRecorder.EventStore.Verification;

/// <summary>
/// The keys a checkpoint may be signed with: the current one, which signs, and retired ones, which
/// only verify what they signed before a rotation. A checkpoint naming any other key id is refused.
/// </summary>
public sealed class CheckpointKeys
{
    private readonly Dictionary<string, CheckpointKey> _byId = new(StringComparer.Ordinal);

    public CheckpointKeys(CheckpointKey current, params IEnumerable<CheckpointKey> retired)
    {
        Current = current;
        foreach (var key in retired.Prepend(current))
        {
            if (_byId.TryGetValue(key.Id, out var known) && !known.Secret.AsSpan().SequenceEqual(key.Secret))
            {
                throw new ArgumentException($"two different checkpoint keys claim the id {key.Id}", nameof(retired));
            }
            _byId[key.Id] = key;
        }
    }

    public CheckpointKey Current { get; }

    public IEnumerable<string> Ids => _byId.Keys;

    public CheckpointKey? Find(string id) => _byId.GetValueOrDefault(id);
}
