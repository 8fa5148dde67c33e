using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ComplianceRecorder.Web;

/// <summary>The live page and its script; the one route that takes a key in the query, to trade it for a session.</summary>
internal static class PageEndpoints
{
    private static readonly string Page = Embedded("wwwroot/index.html");
    private static readonly string Script = Embedded("wwwroot/app.js");

    public static void Map(RouteGroupBuilder viewers)
    {
        viewers.MapGet("/", Open).WithMetadata(KeyInQuery.Instance).ExcludeFromDescription();
        viewers.MapGet("/app.js", () => TypedResults.Content(Script, "text/javascript; charset=utf-8")).ExcludeFromDescription();
    }

    private static IResult Open(HttpContext ctx, Sessions sessions)
    {
        // never inside another site's frame: a framed page could be clicked through (verify, export) unseen
        ctx.Response.Headers.ContentSecurityPolicy = "frame-ancestors 'none'";
        ctx.Response.Headers.XFrameOptions = "DENY";
        if (ctx.Request.Query.ContainsKey("key"))
        {
            // the key is traded for a session token and dropped from the address bar and history
            ctx.Response.Cookies.Append(Sessions.Cookie, sessions.Open(Policies.CallerOf(ctx.User)), new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = ctx.Request.IsHttps,
                Path = "/",
                MaxAge = sessions.Lifetime,
            });
            return TypedResults.Redirect("/");
        }
        return TypedResults.Content(Page, "text/html; charset=utf-8");
    }

    private static string Embedded(string name)
    {
        using var s = typeof(PageEndpoints).Assembly.GetManifestResourceStream(name) ?? throw new FileNotFoundException(name);
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
