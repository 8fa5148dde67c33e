using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Web;

/// <summary>
/// API keys from configuration, kept only as SHA-256 hashes (Auth:Keys:N:Name, :Sha256, :Role). A
/// viewer sees captions; an auditor also reports and exports.
/// </summary>
public sealed class AccessControl
{
    private readonly (byte[] Hash, Caller Caller)[] _keys;
    private readonly string? _demoKey;

    private AccessControl((byte[] Hash, Caller Caller)[] keys, string? demoKey)
    {
        _keys = keys;
        _demoKey = demoKey;
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static AccessControl FromConfiguration(IConfiguration config, bool demo)
    {
        var keys = new List<(byte[], Caller)>();
        foreach (var (entry, i) in config.GetSection("Auth:Keys").GetChildren().Select((e, i) => (e, i)))
        {
            var name = entry["Name"] is { Length: > 0 } n ? n : throw new SettingsException($"Auth:Keys:{i}:Name is missing");
            var hash = entry["Sha256"] is { Length: 64 } h && h.All(char.IsAsciiHexDigit) ? Convert.FromHexString(h)
                : throw new SettingsException($"Auth:Keys:{i}:Sha256 must be the 64 hex digits of the key's SHA-256");
            var role = ParseRole(entry["Role"]) ?? throw new SettingsException($"Auth:Keys:{i}:Role must be viewer, auditor or compliance-admin");
            keys.Add((hash, new Caller(name, role)));
        }
        string? demoKey = null;
        if (keys.Count == 0)
        {
            if (!demo)
            {
                throw new SettingsException("Auth:Keys is empty: every endpoint but the health checks needs an API key (Auth:Keys:0:Name, :Sha256, :Role)");
            }
            // the demo makes one auditor key for this run and prints the page's address with it
            demoKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            keys.Add((SHA256.HashData(Encoding.UTF8.GetBytes(demoKey)), new Caller("demo", Role.Auditor)));
        }
        return new AccessControl([.. keys], demoKey);
    }

    // Only the three names: Enum.TryParse would also take "2" or "viewer, auditor" (OR-ed into another role).
    private static Role? ParseRole(string? name) => name?.ToLowerInvariant() switch
    {
        "viewer" => Role.Viewer,
        "auditor" => Role.Auditor,
        "compliance-admin" => Role.ComplianceAdmin,
        _ => null,
    };

    public string PageUrl(Uri baseUrl) => _demoKey is null ? baseUrl.ToString() : $"{baseUrl}?key={_demoKey}";

    /// <summary>The demo's own key, for tests and the printed address; null when keys come from configuration.</summary>
    public string? DemoKey => _demoKey;

    /// <summary>The caller a presented key belongs to, or null.</summary>
    public Caller? Identify(string key)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        // every configured hash is compared in full, in constant time: how long this takes says
        // nothing about how close a guess came, nor which entry it matched
        Caller? found = null;
        foreach (var (known, caller) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, known))
            {
                found = caller;
            }
        }
        return found;
    }
}
