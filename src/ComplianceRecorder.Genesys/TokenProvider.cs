using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ComplianceRecorder.Genesys;

/// <summary>
/// OAuth client credentials, cached and shared: refreshed 60 s before expiry, one refresh in flight
/// however many callers ask. The secret and the token never reach a log.
/// </summary>
public sealed class TokenProvider(HttpClient http, GenesysOptions options, TimeProvider time, Polly.ResiliencePipeline<HttpResponseMessage> resilience)
{
    public TokenProvider(HttpClient http, GenesysOptions options, TimeProvider time)
        : this(http, options, time, GenesysRest.Resilience(options, time))
    {
    }

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private string? _token;
    private DateTimeOffset _expires;

    public int Refreshes { get; private set; }

    public async ValueTask<string> GetAsync(CancellationToken ct)
    {
        if (_token is { } t && time.GetUtcNow() < _expires - TimeSpan.FromSeconds(60))
        {
            return t;
        }
        await _refresh.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_token is { } again && time.GetUtcNow() < _expires - TimeSpan.FromSeconds(60))
            {
                return again;
            }
            return await FetchAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>Forgets the token after a 401, so the next caller fetches a new one.</summary>
    public void Invalidate(string token)
    {
        if (_token == token)
        {
            _token = null;
        }
    }

    private async Task<string> FetchAsync(CancellationToken ct)
    {
        using var resp = await resilience.ExecuteAsync(
            async c =>
            {
                using var req = Request();
                return await http.SendAsync(req, c).ConfigureAwait(false);
            },
            ct).ConfigureAwait(false);
        var body = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!resp.IsSuccessStatusCode)
        {
            throw new GenesysAuthException(resp.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized
                ? $"Genesys refused the client credentials ({(int)resp.StatusCode}): check Genesys:ClientId and Genesys:ClientSecret"
                : $"token request failed with {(int)resp.StatusCode}");
        }
        using var doc = JsonDocument.Parse(body);
        _token = doc.RootElement.GetProperty("access_token").GetString()!;
        _expires = time.GetUtcNow().AddSeconds(doc.RootElement.GetProperty("expires_in").GetInt32());
        Refreshes++;
        return _token;
    }

    private HttpRequestMessage Request()
    {
        var req = new HttpRequestMessage(HttpMethod.Post, new Uri(options.Login, "/oauth/token"));
        if (options.Dialect == "media")
        {
            // the tutorial's dialect sends the credentials and its scopes in the form
            req.Content = new FormUrlEncodedContent([
                new("client_id", options.ClientId), new("client_secret", options.ClientSecret), new("grant_type", "client_credentials"),
                new("scope", "media:transcription conversation:transcription:view analytics:call:view")]);
        }
        else
        {
            req.Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]);
            req.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.ClientId}:{options.ClientSecret}")));
        }
        return req;
    }
}
