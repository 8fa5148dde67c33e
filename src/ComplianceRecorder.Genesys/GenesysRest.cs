using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ComplianceRecorder.Genesys;

/// <summary>REST calls to Genesys with the shared token and the retry rules both dialects follow.</summary>
public sealed class GenesysRest(HttpClient http, GenesysOptions options, TimeProvider time)
{
    private readonly TokenProvider _tokens = new(http, options, time);

    public TokenProvider Tokens => _tokens;

    /// <summary>One REST call: a 401 refreshes the token once and retries once; 429 waits Retry-After; 5xx backs off.</summary>
    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct, Uri? baseUri = null)
    {
        var refreshed = false;
        var delay = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            var token = await _tokens.GetAsync(ct).ConfigureAwait(false);
            using var req = new HttpRequestMessage(method, new Uri(baseUri ?? options.Api, path));
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (body is not null)
            {
                req.Content = JsonContent.Create(body);
            }
            using var resp = await http.SendAsync(req, ct).ConfigureAwait(false);
            if (resp.IsSuccessStatusCode)
            {
                return resp.Content.Headers.ContentLength == 0 ? null : await resp.Content.ReadFromJsonAsync<JsonNode>(ct).ConfigureAwait(false);
            }
            if (resp.StatusCode == HttpStatusCode.Unauthorized && !refreshed)
            {
                _tokens.Invalidate(token);
                refreshed = true;
                continue;
            }
            if (resp.StatusCode == HttpStatusCode.Forbidden)
            {
                throw new GenesysAuthException($"Genesys refused {method} {path} (403): the OAuth client lacks a permission such as conversation:transcription:view");
            }
            if (attempt >= 6 || (resp.StatusCode != HttpStatusCode.TooManyRequests && (int)resp.StatusCode < 500))
            {
                throw new HttpRequestException($"{method} {path} failed with {(int)resp.StatusCode}", null, resp.StatusCode);
            }
            var wait = resp.Headers.RetryAfter?.Delta ?? (resp.Headers.RetryAfter?.Date is { } date ? date - time.GetUtcNow() : delay);
            await Task.Delay(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, time, ct).ConfigureAwait(false);
            delay *= 2;
        }
    }
}
