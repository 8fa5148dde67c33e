using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Web;

public enum Role { Viewer, Auditor }

/// <summary>Who is asking: the configured name of the API key, and what it may see.</summary>
public sealed record Caller(string Name, Role Role);

/// <summary>
/// API keys from configuration, kept only as SHA-256 hashes (Auth:Keys:N:Name, :Sha256, :Role). A
/// viewer sees captions; an auditor also reports and exports. Browsers present the key once as
/// ?key=… on the page and carry it on in an HttpOnly cookie, since EventSource sends no headers.
/// </summary>
public sealed class AccessControl
{
    public const string Cookie = "cr_key";
    private readonly Dictionary<string, Caller> _byHash;
    private readonly string? _demoKey;

    private AccessControl(Dictionary<string, Caller> byHash, string? demoKey)
    {
        _byHash = byHash;
        _demoKey = demoKey;
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static AccessControl FromConfiguration(IConfiguration config, bool demo)
    {
        var byHash = new Dictionary<string, Caller>(StringComparer.Ordinal);
        foreach (var (entry, i) in config.GetSection("Auth:Keys").GetChildren().Select((e, i) => (e, i)))
        {
            var name = entry["Name"] is { Length: > 0 } n ? n : throw new SettingsException($"Auth:Keys:{i}:Name is missing");
            var hash = entry["Sha256"] is { Length: 64 } h && h.All(char.IsAsciiHexDigit) ? h.ToLowerInvariant()
                : throw new SettingsException($"Auth:Keys:{i}:Sha256 must be the 64 hex digits of the key's SHA-256");
            var role = Enum.TryParse<Role>(entry["Role"], ignoreCase: true, out var r) ? r
                : throw new SettingsException($"Auth:Keys:{i}:Role must be viewer or auditor");
            byHash[hash] = new Caller(name, role);
        }
        string? demoKey = null;
        if (byHash.Count == 0)
        {
            if (!demo)
            {
                throw new SettingsException("Auth:Keys is empty: every endpoint but the health checks needs an API key (Auth:Keys:0:Name, :Sha256, :Role)");
            }
            // the demo makes one auditor key for this run and prints the page's address with it
            demoKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            byHash[Hash(demoKey)] = new Caller("demo", Role.Auditor);
        }
        return new AccessControl(byHash, demoKey);
    }

    public string PageUrl(Uri baseUrl) => _demoKey is null ? baseUrl.ToString() : $"{baseUrl}?key={_demoKey}";

    /// <summary>The demo's own key, for tests and the printed address; null when keys come from configuration.</summary>
    public string? DemoKey => _demoKey;

    public Caller? Identify(HttpContext ctx)
    {
        var key = ctx.Request.Headers.Authorization.ToString() is var auth && auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth[7..]
            : ctx.Request.Headers["X-Api-Key"].ToString() is { Length: > 0 } header ? header
            : ctx.Request.Cookies[Cookie] is { Length: > 0 } cookie ? cookie
            : ctx.Request.Query["key"].ToString();
        return key.Length > 0 && _byHash.TryGetValue(Hash(key), out var caller) ? caller : null;
    }
}
