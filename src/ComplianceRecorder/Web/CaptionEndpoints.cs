using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using ComplianceRecorder.EventStore.Encryption;
using ComplianceRecorder.ReadSide;
using ComplianceRecorder.Recording;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace ComplianceRecorder.Web;

/// <summary>
/// Calls and captions: the call list, captions over SSE and a WebSocket (resumable with Last-Event-ID or
/// ?after=), a call's captions so far, and its finals as WebVTT (auditors; the access is recorded first).
/// </summary>
internal static class CaptionEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(RouteGroupBuilder viewers, RouteGroupBuilder auditors)
    {
        viewers.MapGet("/api/calls", async ([FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, CancellationToken ct) => TypedResults.Json(await CallList.RecentAsync(db, ct).ConfigureAwait(false), Json))
            .WithSummary("Live and recent calls with their counts and latency");
        viewers.MapGet("/api/captions/stream", StreamAsync).WithSummary("Captions as Server-Sent Events (?call= for one call; Last-Event-ID resumes)");
        viewers.Map("/api/captions/ws", SocketAsync).WithSummary("Captions over a WebSocket (?call=, ?after= resumes)");
        auditors.MapGet("/api/calls/{id}/captions.vtt", VttAsync).WithSummary("A call's finals as WebVTT");
        viewers.MapGet("/api/calls/{id}/captions", SoFarAsync).WithSummary("A call's recorded finals and gaps so far, for a page opened mid-call");
    }

    private static async Task SoFarAsync(HttpContext ctx, [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, StoredText text, string id)
    {
        var captions = new List<Caption>();
        await foreach (var c in CaptionHistory.MissedAsync(db, text, 0, id, ctx.RequestAborted).ConfigureAwait(false))
        {
            captions.Add(c);
        }
        await ctx.Response.WriteAsJsonAsync(captions, Json, ctx.RequestAborted).ConfigureAwait(false);
    }

    private static async Task VttAsync(HttpContext ctx, [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, StoredText text, AccessAudit audit, string id)
    {
        if (!await audit.RecordAsync(ctx, $"/api/calls/{id}/captions.vtt", "").ConfigureAwait(false))
        {
            return;
        }
        ctx.Response.ContentType = "text/vtt; charset=utf-8";
        using var streaming = Stopping.Linked(ctx);
        await using var writer = new StreamWriter(ctx.Response.Body, new UTF8Encoding(false), 16 * 1024, leaveOpen: true);
        await WebVtt.WriteAsync(db, text, id, writer, streaming.Token).ConfigureAwait(false);
    }

    private static async Task StreamAsync(HttpContext ctx, [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, StoredText text, LiveCaptions live)
    {
        var call = ctx.Request.Query["call"].ToString() is { Length: > 0 } c ? c : null;
        var after = long.TryParse(ctx.Request.Headers["Last-Event-ID"].ToString(), CultureInfo.InvariantCulture, out var id) ? id
            : long.TryParse(ctx.Request.Query["after"], CultureInfo.InvariantCulture, out var q) ? q : (long?)null;
        ctx.Response.Headers.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        await ctx.Response.WriteAsync("retry: 1000\n\n", ctx.RequestAborted).ConfigureAwait(false);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
        using var streaming = Stopping.Linked(ctx);
        try
        {
            await foreach (var caption in CaptionsAsync(db, text, live, call, after, streaming.Token).ConfigureAwait(false))
            {
                await ctx.Response.WriteAsync($"id: {caption.Seq}\ndata: {JsonSerializer.Serialize(caption, Json)}\n\n", streaming.Token).ConfigureAwait(false);
                await ctx.Response.Body.FlushAsync(streaming.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (streaming.IsCancellationRequested)
        {
            // the consumer left, or the recorder is stopping: it reconnects with Last-Event-ID
        }
    }

    private static async Task SocketAsync(HttpContext ctx, [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, StoredText text, LiveCaptions live)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        var call = ctx.Request.Query["call"].ToString() is { Length: > 0 } c ? c : null;
        var after = long.TryParse(ctx.Request.Query["after"], CultureInfo.InvariantCulture, out var id) ? id : (long?)null;
        using var ws = await ctx.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        using var streaming = Stopping.Linked(ctx);
        try
        {
            await foreach (var caption in CaptionsAsync(db, text, live, call, after, streaming.Token).ConfigureAwait(false))
            {
                await ws.SendAsync(JsonSerializer.SerializeToUtf8Bytes(caption, Json), WebSocketMessageType.Text, true, streaming.Token).ConfigureAwait(false);
            }
            // not waiting for the slow consumer's own close frame: it could hold a stop for the whole shutdown timeout
            using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await ws.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "too slow; reconnect with ?after=", closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested)
        {
            using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "the recorder is stopping; reconnect with ?after=", closing.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
    }

    private static async IAsyncEnumerable<Caption> CaptionsAsync(
        [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, StoredText text, LiveCaptions live, string? call, long? after, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        // subscribe first, then replay: nothing can fall between what the store gave and the live feed
        using var feed = new CaptionFeed(live, call);
        var last = after ?? long.MaxValue;
        if (after is { } from)
        {
            await foreach (var missed in CaptionHistory.MissedAsync(db, text, from, call, ct).ConfigureAwait(false))
            {
                last = missed.Seq;
                yield return missed;
            }
        }
        IAsyncEnumerator<Caption> next;
        try
        {
            next = feed.LiveAsync(ct).GetAsyncEnumerator(ct);
        }
        catch (OperationCanceledException)
        {
            yield break;
        }
        await using (next.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await next.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
                if (after is null || next.Current.Seq > last)
                {
                    yield return next.Current;
                }
            }
        }
    }
}
