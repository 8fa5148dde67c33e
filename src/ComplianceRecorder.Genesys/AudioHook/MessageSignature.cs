using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ComplianceRecorder.Genesys.AudioHook;

/// <summary>
/// The upgrade's checks (../shared/genesys/audiohook.md §1): the API key, then the HTTP message signature
/// over the six components AudioHook signs, HMAC-SHA256 with the base64-decoded client secret. Answers
/// null when the request may upgrade, else why not (never echoing a key or a signature).
/// </summary>
public static class MessageSignature
{
    public static readonly string[] Components =
        ["@request-target", "@authority", "audiohook-organization-id", "audiohook-session-id", "audiohook-correlation-id", "x-api-key"];

    private static readonly TimeSpan CreatedSkew = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);

    /// <summary>How long a signature passes the time checks: a replay is caught by remembering signatures this long.</summary>
    public static TimeSpan Window => MaxAge + CreatedSkew;

    /// <param name="header">A request header by name (case-insensitive), or null.</param>
    /// <param name="requestTarget">Path and query, as sent.</param>
    /// <param name="authority">The Host header.</param>
    /// <summary>
    /// A checked Signature header's signature itself, in one form: what a replay cache must key on, as the label
    /// is not signed and base64 may carry whitespace, so the same signature can be sent under many spellings.
    /// </summary>
    public static string Bytes(string signature)
    {
        var start = signature.IndexOf("=:", StringComparison.Ordinal) + 2;
        return Convert.ToHexString(Convert.FromBase64String(signature[start..^1]));
    }

    /// <param name="now">Null skips the created/expires checks (for the protocol's test vector).</param>
    public static string? Check(Func<string, string?> header, string requestTarget, string authority, AudioHookOptions options, DateTimeOffset? now)
    {
        var key = header("X-API-KEY");
        if (string.IsNullOrEmpty(key) || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(options.ApiKey)))
        {
            return "missing or unknown X-API-KEY";
        }
        if (!Guid.TryParse(header("Audiohook-Session-Id"), out _))
        {
            return "missing or invalid Audiohook-Session-Id";
        }
        if (options.OrganizationId.Length > 0 && !string.Equals(header("Audiohook-Organization-Id"), options.OrganizationId, StringComparison.OrdinalIgnoreCase))
        {
            return "Audiohook-Organization-Id is not the configured organization";
        }
        var signature = header("Signature");
        var input = header("Signature-Input");
        if (options.ClientSecret.Length == 0)
        {
            // unsigned only when the key has no secret (a signature then cannot be checked, and is not required)
            return null;
        }
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(input))
        {
            return "the request is not signed, and the API key has a client secret";
        }
        var eq = input.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            return "Signature-Input is malformed";
        }
        var label = input[..eq];
        var parameters = input[(eq + 1)..];
        if (!TryParse(parameters, out var covered, out var fields))
        {
            return "Signature-Input is malformed";
        }
        if (!Components.All(covered.Contains))
        {
            return "the signature does not cover every required component";
        }
        if (fields.GetValueOrDefault("alg") != "hmac-sha256")
        {
            return "the signature's alg is not hmac-sha256";
        }
        if (fields.GetValueOrDefault("keyid") != key)
        {
            return "the signature's keyid is not the X-API-KEY";
        }
        if ((fields.GetValueOrDefault("nonce")?.Length ?? 0) < 22)
        {
            return "the signature's nonce is missing or shorter than 22 characters";
        }
        if (!long.TryParse(fields.GetValueOrDefault("created"), NumberStyles.None, CultureInfo.InvariantCulture, out var created)
            || !long.TryParse(fields.GetValueOrDefault("expires"), NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            return "the signature's created or expires is missing";
        }
        if (now is { } t)
        {
            // compared as seconds: a time past year 9999 is a stale signature, not an exception
            var s = t.ToUnixTimeSeconds();
            if (created > s + (long)CreatedSkew.TotalSeconds || created < s - (long)MaxAge.TotalSeconds || expires < s)
            {
                return "the signature is not current (created, expires)";
            }
        }
        var prefix = label + "=:";
        if (!signature.StartsWith(prefix, StringComparison.Ordinal) || !signature.EndsWith(':') || signature.Length <= prefix.Length)
        {
            return "Signature is malformed";
        }
        byte[] sent;
        byte[] secret;
        try
        {
            sent = Convert.FromBase64String(signature[prefix.Length..^1]);
            secret = Convert.FromBase64String(options.ClientSecret);
        }
        catch (FormatException)
        {
            return "Signature is malformed";
        }
        var basis = new StringBuilder();
        foreach (var c in covered)
        {
            var value = c switch
            {
                "@request-target" => requestTarget,
                "@authority" => authority,
                _ => header(c),
            };
            if (value is null)
            {
                return "a signed header is missing";
            }
            basis.Append('"').Append(c).Append("\": ").Append(value).Append('\n');
        }
        basis.Append("\"@signature-params\": ").Append(parameters);
        var expected = HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(basis.ToString()));
        return CryptographicOperations.FixedTimeEquals(expected, sent) ? null : "the signature does not match";
    }

    /// <summary><c>("a" "b");k="v";n=1</c>: the covered components in order, and the parameters.</summary>
    private static bool TryParse(string value, out List<string> covered, out Dictionary<string, string> fields)
    {
        covered = [];
        fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var close = value.IndexOf(')', StringComparison.Ordinal);
        if (!value.StartsWith('(') || close < 0)
        {
            return false;
        }
        foreach (var item in value[1..close].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (item.Length < 2 || item[0] != '"' || item[^1] != '"')
            {
                return false;
            }
            covered.Add(item[1..^1]);
        }
        foreach (var p in value[(close + 1)..].Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = p.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return false;
            }
            var v = p[(eq + 1)..];
            fields[p[..eq]] = v.Length >= 2 && v[0] == '"' && v[^1] == '"' ? v[1..^1] : v;
        }
        return true;
    }
}
