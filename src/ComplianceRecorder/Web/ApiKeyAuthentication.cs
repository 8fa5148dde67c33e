using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComplianceRecorder.Web;

/// <summary>
/// Who is asking, from an API key (Authorization: Bearer, X-Api-Key), a session cookie, or — on the
/// page alone — ?key=. What they may do is left to the policies on each route group.
/// </summary>
internal sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AccessControl access, Sessions sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    // prefixed, as an embedding host may have an "ApiKey" scheme of its own
    public const string SchemeName = "ComplianceRecorder.ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        Caller? caller;
        if (PresentedKey() is { } key)
        {
            caller = access.Identify(key);
            if (caller is null)
            {
                return Task.FromResult(AuthenticateResult.Fail("the API key is not known"));
            }
        }
        else if (Request.Cookies[Sessions.Cookie] is { Length: > 0 } token)
        {
            // a browser sends the cookie with requests any page makes, and a WebSocket has no CORS to stop
            // another page (another port of the same host is the same site) reading what it opens
            if (!FromOwnPage())
            {
                return Task.FromResult(AuthenticateResult.Fail("a session cookie is honoured only from the recorder's own pages (Origin differs from Host)"));
            }
            caller = sessions.Find(token);
            if (caller is null)
            {
                return Task.FromResult(AuthenticateResult.Fail("the session is unknown or has expired"));
            }
        }
        else
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, caller.Name), new Claim(ClaimTypes.Role, Policies.RoleName(caller.Role))], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    /// <summary>No Origin (not a browser's cross-origin request) or one naming this very host and port.</summary>
    private bool FromOwnPage()
    {
        if (Request.Headers.Origin is not [var origin, ..])
        {
            return true;
        }
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && string.Equals(uri.Authority, Request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    private string? PresentedKey()
    {
        if (AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var auth)
            && string.Equals(auth.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase) && auth.Parameter is { Length: > 0 } bearer)
        {
            return bearer;
        }
        if (Request.Headers["X-Api-Key"].ToString() is { Length: > 0 } header)
        {
            return header;
        }
        // a key in an address ends up in history, logs and Referer headers: only the page takes one, and only to trade it for a session
        if (Context.GetEndpoint()?.Metadata.GetMetadata<KeyInQuery>() is not null && Request.Query["key"].ToString() is { Length: > 0 } query)
        {
            return query;
        }
        return null;
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "An API key is required",
            detail: "Send it as Authorization: Bearer KEY or X-Api-Key: KEY; a browser opens the page once as /?key=KEY.").ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed for this key's role",
            detail: $"'{Context.User.Identity?.Name}' may not use this route; reports, exports and the OpenAPI document need the auditor role.").ExecuteAsync(Context);
}
