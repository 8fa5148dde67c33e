using System.Net;
using System.Text.RegularExpressions;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ComplianceRecorder.Tests.Web;

/// <summary>
/// Who may call what, tried on every route the app maps (so a new route is covered without a new
/// test), with each kind of caller, in the spellings routing accepts, and with other methods.
/// </summary>
public sealed partial class RouteAccessTests(DemoHost demo) : IClassFixture<DemoHost>
{
    private enum Access { Anyone, Viewer, Auditor, Admin }

    private const string Call = "c0a80001-0000-4000-8000-000000000003";

    // the intended role of each route, by its pattern; a route missing here fails the test until it is placed
    private static readonly Dictionary<string, Access> Intended = new(StringComparer.Ordinal)
    {
        ["/health/live"] = Access.Anyone,
        ["/health/ready"] = Access.Anyone,
        ["/metrics"] = Access.Anyone,
        ["/"] = Access.Viewer,
        ["/app.js"] = Access.Viewer,
        ["/api/calls"] = Access.Viewer,
        ["/api/calls/{id}/captions"] = Access.Viewer,
        ["/api/captions/stream"] = Access.Viewer,
        ["/api/captions/ws"] = Access.Viewer,
        ["/api/calls/{id}/captions.vtt"] = Access.Auditor,
        ["/api/reports/audit"] = Access.Auditor,
        ["/api/reports/calls"] = Access.Auditor,
        ["/api/reports/metrics"] = Access.Auditor,
        ["/openapi/{documentName}.json"] = Access.Auditor,
        ["/api/console/me"] = Access.Viewer,
        ["/api/console/calls"] = Access.Viewer,
        ["/api/console/calls/{id}"] = Access.Viewer,
        ["/api/console/metrics"] = Access.Viewer,
        ["/api/console/calls/{id}/verify"] = Access.Auditor,
        ["/api/console/integrity"] = Access.Auditor,
        ["/api/console/access"] = Access.Auditor,
        ["/api/admin/holds"] = Access.Admin,
        ["/api/admin/holds/{id}/lift"] = Access.Admin,
        ["/api/admin/erasures"] = Access.Admin,
        ["/api/admin/customer-tags"] = Access.Admin,
        ["/api/admin/retention"] = Access.Admin,
        ["/api/admin/retention/run"] = Access.Admin,
    };

    private static readonly (string Name, string? Key, Access Holds)[] Callers =
    [
        ("no key", null, Access.Anyone),
        ("a wrong key", "not-a-key", Access.Anyone),
        ("a viewer", DemoHost.ViewerKey, Access.Viewer),
        ("an auditor", DemoHost.AuditorKey, Access.Auditor),
        ("a compliance admin", DemoHost.AdminKey, Access.Admin),
    ];

    [Fact]
    public async Task Every_route_in_every_spelling_and_method_answers_each_caller_as_its_role_allows()
    {
        // a call's routes answer 404 until the call is recorded
        await demo.CallsEndedAsync();
        var routes = demo.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Pattern: "/" + e.RoutePattern.RawText!.TrimStart('/'), Methods: e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods))
            // a pattern mapped for several methods (GET and POST /api/admin/holds) is one route with all of them
            .GroupBy(r => r.Pattern)
            .Select(g => (Pattern: g.Key, Methods: g.Any(r => r.Methods is null) ? null : (IReadOnlyList<string>?)[.. g.SelectMany(r => r.Methods!)]))
            .ToList();
        var unplaced = routes.Select(r => r.Pattern).Where(p => !Intended.ContainsKey(p)).ToList();
        Assert.True(unplaced.Count == 0, "routes with no intended role in this test: " + string.Join(", ", unplaced));
        Assert.Equal(Intended.Keys.Order(), routes.Select(r => r.Pattern).Distinct().Order());
        using var http = NoCookiesNoRedirects();
        var wrong = new List<string>();

        foreach (var (pattern, methods) in routes)
        {
            foreach (var path in Spellings(pattern))
            {
                foreach (var method in new[] { HttpMethods.Get, HttpMethods.Head, HttpMethods.Post })
                {
                    var routed = methods is null || methods.Contains(method);
                    foreach (var (name, key, holds) in Callers)
                    {
                        var expected = Expected(Intended[pattern], routed, key, holds, pattern, method);
                        var actual = await StatusAsync(http, method, path, key);
                        if (!expected.Contains(actual))
                        {
                            wrong.Add($"{method} {path} by {name}: {(int)actual}, expected {string.Join(" or ", expected.Select(s => (int)s))}");
                        }
                    }
                }
            }
        }

        // a 500 carries its cause in the server's log, not in the answer
        Assert.True(wrong.Count == 0, string.Join('\n', wrong) + "\nserver errors:\n"
            + string.Join('\n', demo.Logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal)).TakeLast(5)));
    }

    [Fact]
    public async Task A_key_in_the_query_is_ignored_on_every_route_but_the_page()
    {
        using var http = NoCookiesNoRedirects();
        var wrong = new List<string>();
        foreach (var pattern in Intended.Where(r => r.Value != Access.Anyone && r.Key != "/").Select(r => r.Key))
        {
            var status = await StatusAsync(http, HttpMethods.Get, Concrete(pattern) + "?key=" + DemoHost.AuditorKey, key: null);
            if (status != HttpStatusCode.Unauthorized)
            {
                wrong.Add($"{pattern}?key=: {(int)status}");
            }
        }
        // a 500 carries its cause in the server's log, not in the answer
        Assert.True(wrong.Count == 0, string.Join('\n', wrong) + "\nserver errors:\n"
            + string.Join('\n', demo.Logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal)).TakeLast(5)));
    }

    [Fact]
    public async Task The_page_trades_a_key_for_a_session_cookie_that_does_not_hold_the_key_and_keeps_its_role()
    {
        using var http = NoCookiesNoRedirects();

        using var wrongKey = await http.GetAsync(new Uri(demo.Url, "/?key=not-a-key"));
        using var exchange = await http.GetAsync(new Uri(demo.Url, "/?key=" + DemoHost.ViewerKey));

        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, exchange.StatusCode);
        Assert.Equal("/", exchange.Headers.Location!.OriginalString);
        var setCookie = Assert.Single(exchange.Headers.GetValues("Set-Cookie"));
        Assert.DoesNotContain(DemoHost.ViewerKey, setCookie, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(DemoHost.ViewerKey), setCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        var cookie = setCookie.Split(';')[0];
        Assert.StartsWith("cr_session=", cookie, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, await WithCookieAsync(http, "/api/calls", cookie));
        Assert.Equal(HttpStatusCode.OK, await WithCookieAsync(http, "/", cookie));
        Assert.Equal(HttpStatusCode.Forbidden, await WithCookieAsync(http, "/api/reports/audit", cookie));
        Assert.Equal(HttpStatusCode.Unauthorized, await WithCookieAsync(http, "/api/calls", "cr_session=" + DemoHost.ViewerKey));
        Assert.Equal(HttpStatusCode.Unauthorized, await WithCookieAsync(http, "/api/calls", "cr_key=" + DemoHost.ViewerKey));
    }

    [Fact]
    public async Task A_session_cookie_is_refused_from_another_origin_so_no_other_page_of_the_host_can_open_the_caption_socket_with_it()
    {
        using var http = NoCookiesNoRedirects();
        using var exchange = await http.GetAsync(new Uri(demo.Url, "/?key=" + DemoHost.ViewerKey));
        var cookie = exchange.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        var own = demo.Url.GetLeftPart(UriPartial.Authority);
        // cookies ignore ports: a page served by any other port of this host is the same site and sends the cookie
        var other = new UriBuilder(demo.Url) { Port = demo.Url.Port == 1 ? 2 : 1 }.Uri.GetLeftPart(UriPartial.Authority);

        Assert.Equal(HttpStatusCode.OK, await WithCookieAsync(http, "/api/calls", cookie, own));
        Assert.Equal(HttpStatusCode.Unauthorized, await WithCookieAsync(http, "/api/calls", cookie, other));
        Assert.Equal(HttpStatusCode.Unauthorized, await WithCookieAsync(http, "/api/calls", cookie, "null"));

        var ws = new UriBuilder(demo.Url) { Scheme = "ws", Path = "/api/captions/ws", Query = "after=0" }.Uri;
        using (var hijack = new System.Net.WebSockets.ClientWebSocket())
        {
            hijack.Options.SetRequestHeader("Cookie", cookie);
            hijack.Options.SetRequestHeader("Origin", other);
            await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => hijack.ConnectAsync(ws, CancellationToken.None));
        }
        using var page = new System.Net.WebSockets.ClientWebSocket();
        page.Options.SetRequestHeader("Cookie", cookie);
        page.Options.SetRequestHeader("Origin", own);
        await page.ConnectAsync(ws, CancellationToken.None);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, page.State);
    }

    /// <summary>What a caller should get: the route's own answer when allowed, else 401 or 403; an unrouted method is closed like an unmarked route (auditors only) and then 405.</summary>
    private static HttpStatusCode[] Expected(Access route, bool routed, string? key, Access holds, string pattern, string method)
    {
        var known = key is not null && holds != Access.Anyone;
        if (!routed)
        {
            return [!known ? HttpStatusCode.Unauthorized : holds == Access.Auditor ? HttpStatusCode.MethodNotAllowed : HttpStatusCode.Forbidden];
        }
        // an auditor is also a viewer; a compliance admin is neither, and only it may use the admin routes
        if (route == Access.Anyone || (known && (route == Access.Admin ? holds == Access.Admin : holds == Access.Auditor || (route == Access.Viewer && holds == Access.Viewer))))
        {
            return pattern switch
            {
                // an admin action without its JSON body is refused by binding, after authorization
                _ when route == Access.Admin && method == HttpMethods.Post && pattern != "/api/admin/retention/run" => [HttpStatusCode.BadRequest],
                "/api/captions/ws" => [HttpStatusCode.BadRequest],
                "/health/ready" => [HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable],
                _ => [HttpStatusCode.OK],
            };
        }
        return [known ? HttpStatusCode.Forbidden : HttpStatusCode.Unauthorized];
    }

    /// <summary>The route as written, in upper case, percent-encoded, with a trailing slash, and both of the last two with upper case.</summary>
    private static IEnumerable<string> Spellings(string pattern)
    {
        var exact = Concrete(pattern);
        yield return exact;
        if (pattern == "/")
        {
            yield break;
        }
        var upper = Concrete(pattern.ToUpperInvariant());
        yield return upper;
        yield return Concrete(Letters().Replace(pattern, m => $"%{(int)m.Value[0]:X2}"));
        yield return exact + "/";
        yield return upper + "/";
    }

    private static string Concrete(string pattern) => Parameter().Replace(pattern, m => m.Value.Equals("{id}", StringComparison.OrdinalIgnoreCase) ? Call : "v1");

    private async Task<HttpStatusCode> StatusAsync(HttpClient http, string method, string path, string? key)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), RawUri(path));
        if (key is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }
        if (method == HttpMethods.Post)
        {
            // as JSON, so a route that takes a JSON body is chosen by routing (another type gets a 415 no policy guards)
            request.Content = new StringContent("", System.Text.Encoding.UTF8, "application/json");
        }
        // the caption stream never ends: its status is all that is wanted
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.StatusCode;
    }

    private async Task<HttpStatusCode> WithCookieAsync(HttpClient http, string path, string cookie, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, RawUri(path));
        request.Headers.Add("Cookie", cookie);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.StatusCode;
    }

    // sent as written: no client-side unescaping of %61 or trimming of a trailing slash
    private Uri RawUri(string pathAndQuery) =>
        new(demo.Url.GetLeftPart(UriPartial.Authority) + pathAndQuery, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

    private static HttpClient NoCookiesNoRedirects() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(30) };

    // letters outside route parameters
    [GeneratedRegex(@"[A-Za-z](?![^{]*\})")]
    private static partial Regex Letters();

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();
}
