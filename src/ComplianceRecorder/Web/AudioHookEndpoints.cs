using System.Diagnostics;
using ComplianceRecorder.Genesys.AudioHook;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ComplianceRecorder.Web;

/// <summary>
/// The AudioHook server's socket (audiohook dialect only). Genesys authenticates with the integration's API
/// key and a message signature, not a recorder key: the route is open to the recorder's scheme and makes
/// its own checks before the upgrade. A refusal is a 401 sent no sooner than 500 ms after the request
/// came (as the reference server does), so timing tells a prober nothing; why is logged, never echoed.
/// </summary>
internal static class AudioHookEndpoints
{
    private static readonly TimeSpan RefuseAfter = TimeSpan.FromMilliseconds(500);

    public static void Map(WebApplication app)
    {
        if (app.Services.GetService<AudioHookSource>() is not { } source)
        {
            return;
        }
        app.Map(source.Options.Path, async (HttpContext ctx) =>
        {
            var started = Stopwatch.GetTimestamp();
            if (!ctx.WebSockets.IsWebSocketRequest)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: "AudioHook speaks over a WebSocket upgrade");
            }
            var target = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? ctx.Request.Path + ctx.Request.QueryString;
            if (source.Authorize(h => ctx.Request.Headers.TryGetValue(h, out var v) && v.Count > 0 ? v.ToString() : null, target, ctx.Request.Host.Value ?? "") is not null)
            {
                var wait = RefuseAfter - Stopwatch.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ctx.RequestAborted);
                }
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, detail: "unauthorized");
            }
            if (!source.Accepting)
            {
                ctx.Response.Headers.RetryAfter = "5";
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, detail: "the recording is not taking calls now");
            }
            using var ws = await ctx.WebSockets.AcceptWebSocketAsync();
            var stopping = ctx.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            await source.RunAsync(ws, ctx.Request.Headers["Audiohook-Session-Id"].ToString(), ctx.Request.Headers["Audiohook-Organization-Id"].ToString() is { Length: > 0 } org ? org : null, stopping);
            return Results.Empty;
        }).AllowAnonymous().ExcludeFromDescription();
    }
}
