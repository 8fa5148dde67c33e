using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Retry;

namespace ComplianceRecorder.Genesys;

/// <summary>REST calls to Genesys with the shared token and the retry rules both dialects follow.</summary>
public sealed class GenesysRest
{
    private readonly HttpClient _http;
    private readonly GenesysOptions _options;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<HttpResponseMessage> _resilience;

    public GenesysRest(HttpClient http, GenesysOptions options, TimeProvider time)
    {
        _http = http;
        _options = options;
        _time = time;
        _resilience = Resilience(options, time);
        Tokens = new TokenProvider(http, options, time, _resilience);
    }

    public TokenProvider Tokens { get; }

    /// <summary>
    /// 429 and 5xx, network errors and timeouts are retried: after Retry-After when Genesys sends one
    /// (seconds or a date, read on the injected clock so tests run in virtual time), else exponential
    /// backoff with jitter; attempts are bounded, as Genesys' own SDK gives up after a while.
    /// </summary>
    internal static ResiliencePipeline<HttpResponseMessage> Resilience(GenesysOptions options, TimeProvider time) =>
        new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = TimeSpan.FromSeconds(180),
                ShouldRetryAfterHeader = false,
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, time)),
            })
            .AddTimeout(new HttpTimeoutStrategyOptions { Timeout = options.RequestTimeout })
            .Build();

    /// <summary>The wait Genesys asks for, or null to fall back on backoff.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider time)
    {
        if (response?.Headers.RetryAfter is not { } header)
        {
            return null;
        }
        var wait = header.Delta ?? (header.Date is { } date ? date - time.GetUtcNow() : null);
        return wait is { } w ? (w < TimeSpan.Zero ? TimeSpan.Zero : w) : null;
    }

    /// <summary>One REST call: a 401 refreshes the token once and retries once; 403 names the permission; the rest as <see cref="Resilience"/>.</summary>
    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct, Uri? baseUri = null)
    {
        for (var refreshed = false; ; refreshed = true)
        {
            var token = await Tokens.GetAsync(ct).ConfigureAwait(false);
            using var resp = await _resilience.ExecuteAsync(
                async c =>
                {
                    using var req = new HttpRequestMessage(method, new Uri(baseUri ?? _options.Api, path));
                    req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    if (body is not null)
                    {
                        req.Content = JsonContent.Create(body);
                    }
                    return await _http.SendAsync(req, c).ConfigureAwait(false);
                },
                ct).ConfigureAwait(false);
            if (resp.IsSuccessStatusCode)
            {
                return method == HttpMethod.Head || resp.Content.Headers.ContentLength == 0 ? null : await resp.Content.ReadFromJsonAsync<JsonNode>(ct).ConfigureAwait(false);
            }
            if (resp.StatusCode == HttpStatusCode.Unauthorized && !refreshed)
            {
                Tokens.Invalidate(token);
                continue;
            }
            if (resp.StatusCode == HttpStatusCode.Forbidden)
            {
                throw new GenesysAuthException($"Genesys refused {method} {path} (403): the OAuth client lacks a permission such as conversation:transcription:view");
            }
            throw new HttpRequestException($"{method} {path} failed with {(int)resp.StatusCode}", null, resp.StatusCode);
        }
    }

    /// <summary>A plain GET of a presigned URL (the stored transcript): no bearer token, same retries.</summary>
    public async Task<JsonNode?> GetUnauthenticatedAsync(Uri url, CancellationToken ct)
    {
        using var resp = await _resilience.ExecuteAsync(async c => await _http.GetAsync(url, c).ConfigureAwait(false), ct).ConfigureAwait(false);
        if (!resp.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET of the stored transcript failed with {(int)resp.StatusCode}", null, resp.StatusCode);
        }
        return await resp.Content.ReadFromJsonAsync<JsonNode>(ct).ConfigureAwait(false);
    }
}
