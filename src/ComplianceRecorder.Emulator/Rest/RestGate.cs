using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ComplianceRecorder.Emulator.Rest;

/// <summary>
/// Who gets into the REST API, and what a faulty Genesys answers instead: OAuth client credentials
/// issue bearer tokens; every /api/v2 request needs one, and may meet a 403, 429, 503 or a stall first.
/// </summary>
internal sealed class RestGate(EmulatorOptions options, EmulatorFaults faults)
{
    private readonly ConcurrentDictionary<string, string> _tokens = new();
    private int _tokensIssued;

    public int TokensIssued => _tokensIssued;

    /// <summary>Every token issued so far stops working.</summary>
    public void ExpireTokens() => _tokens.Clear();

    public bool Authorized(HttpContext ctx)
    {
        var h = ctx.Request.Headers.Authorization.ToString();
        return h.StartsWith("Bearer ", StringComparison.Ordinal) && _tokens.ContainsKey(h["Bearer ".Length..]);
    }

    public void MapToken(WebApplication app) => app.MapPost("/oauth/token", async (HttpContext ctx) =>
    {
        var auth = ctx.Request.Headers.Authorization.ToString();
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.ClientId}:{options.ClientSecret}"));
        var form = await ctx.Request.ReadFormAsync().ConfigureAwait(false);
        var inBody = form["client_id"] == options.ClientId && form["client_secret"] == options.ClientSecret;
        if ((auth != expected && !inBody) || form["grant_type"] != "client_credentials")
        {
            return Results.Json(new JsonObject { ["error"] = "invalid_client", ["description"] = "authentication failed", ["error_description"] = "authentication failed" }, statusCode: 400);
        }
        var token = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        _tokens[token] = options.ClientId;
        Interlocked.Increment(ref _tokensIssued);
        return Results.Json(new JsonObject { ["access_token"] = token, ["token_type"] = "bearer", ["expires_in"] = 86399 });
    });

    /// <summary>The /api/v2 group, behind the token check and the REST faults.</summary>
    public RouteGroupBuilder MapApi(WebApplication app) => app.MapGroup("/api/v2").AddEndpointFilter(async (ctx, next) =>
    {
        if (!Authorized(ctx.HttpContext))
        {
            return Results.Json(new JsonObject { ["message"] = "Invalid login credentials.", ["code"] = "bad.credentials", ["status"] = 401 }, statusCode: 401);
        }
        if (faults.TakeForbidden())
        {
            return Results.Json(new JsonObject
            {
                ["message"] = "Unable to perform the requested action. You are missing the following permission(s): [conversation:transcription:view]",
                ["code"] = "missing.permissions",
                ["status"] = 403,
            }, statusCode: 403);
        }
        if (faults.TakeTooManyRequests())
        {
            ctx.HttpContext.Response.Headers.RetryAfter = faults.RetryAfterAsDate
                ? (DateTimeOffset.UtcNow + TimeSpan.FromSeconds(faults.RetryAfterSeconds)).ToString("R")
                : faults.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(new JsonObject { ["message"] = "Rate limit exceeded the maximum", ["code"] = "too.many.requests.retry.after", ["status"] = 429 }, statusCode: 429);
        }
        if (faults.TakeServerError())
        {
            return Results.Json(new JsonObject { ["message"] = "Service Unavailable", ["code"] = "service.unavailable", ["status"] = 503 }, statusCode: 503);
        }
        if (faults.TakeStall() is { } stall)
        {
            await Task.Delay(stall, ctx.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        return await next(ctx).ConfigureAwait(false);
    });
}
