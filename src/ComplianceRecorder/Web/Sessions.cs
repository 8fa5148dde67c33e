using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace ComplianceRecorder.Web;

/// <summary>
/// Browser sessions: a key given once on the page (?key=) is exchanged for a random opaque token,
/// kept here with its caller and expiry; the cookie carries only the token, never the key. Tokens
/// are looked up by their hash, so the table holds nothing a reader of memory could replay.
/// </summary>
public sealed class Sessions(TimeProvider time, TimeSpan lifetime, int capacity = Sessions.DefaultCapacity)
{
    public const string Cookie = "cr_session";

    /// <summary>
    /// Open sessions kept at most: each costs memory, and a key holder (or a script given a key) opening
    /// pages in a loop must not grow the table without bound; past it the session closest to expiry goes.
    /// </summary>
    public const int DefaultCapacity = 10_000;
    private readonly ConcurrentDictionary<string, (Caller Caller, DateTimeOffset Expires)> _byHash = new(StringComparer.Ordinal);

    public TimeSpan Lifetime => lifetime;

    public string Open(Caller caller)
    {
        var now = time.GetUtcNow();
        foreach (var (hash, session) in _byHash)
        {
            if (session.Expires <= now)
            {
                _byHash.TryRemove(hash, out _);
            }
        }
        while (_byHash.Count >= capacity && !_byHash.IsEmpty)
        {
            _byHash.TryRemove(_byHash.MinBy(kv => kv.Value.Expires).Key, out _);
        }
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _byHash[HashOf(token)] = (caller, now + lifetime);
        return token;
    }

    public Caller? Find(string token)
    {
        if (!_byHash.TryGetValue(HashOf(token), out var session))
        {
            return null;
        }
        if (session.Expires > time.GetUtcNow())
        {
            return session.Caller;
        }
        _byHash.TryRemove(HashOf(token), out _);
        return null;
    }

    private static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
