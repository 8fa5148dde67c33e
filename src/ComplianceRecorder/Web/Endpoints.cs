using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Hosting;
using ComplianceRecorder.Pipeline.Captions;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Reports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ComplianceRecorder.Web;

/// <summary>
/// The HTTP surface: the live page, captions over SSE and WebSocket (resumable with Last-Event-ID),
/// WebVTT, reports and exports, OpenAPI, health. Each route group carries its authorization policy
/// (health and metrics anonymous, anything unmarked auditor-only); every report or export is itself
/// recorded as an access event before it is served.
/// </summary>
internal static class Endpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The web surface's services: who is asking (keys, sessions), what each role may do, and its settings.</summary>
    public static void AddServices(IServiceCollection services, IConfiguration config, AccessControl access)
    {
        var options = WebOptions.From(config);
        services.AddSingleton(options);
        Policies.Add(services, access, new Sessions(TimeProvider.System, options.SessionLifetime));
    }

    public static void Map(WebApplication app, RecorderHost host)
    {
        var options = app.Services.GetRequiredService<WebOptions>();
        var sessions = app.Services.GetRequiredService<Sessions>();
        var readiness = new Readiness(host, new StoreProbe(host.DataSource, TimeProvider.System));
        app.UseWebSockets();
        app.UseAuthentication();
        app.UseAuthorization();

        // health and metrics carry no transcript, no call id and no secret: probes and scrapers need no key
        var anonymous = app.MapGroup("").AllowAnonymous();
        anonymous.MapMethods("/health/live", [HttpMethods.Get, HttpMethods.Head], () => TypedResults.Ok(new { status = "live" }));
        anonymous.MapMethods("/health/ready", [HttpMethods.Get, HttpMethods.Head], readiness.AnswerAsync);
        app.MapPrometheusScrapingEndpoint().AllowAnonymous().ExcludeFromDescription();

        var viewers = app.MapGroup("").RequireAuthorization(Policies.Viewer);
        var auditors = app.MapGroup("").RequireAuthorization(Policies.Auditor);
        app.MapOpenApi().RequireAuthorization(Policies.Auditor);

        var page = Embedded("wwwroot/index.html");
        var script = Embedded("wwwroot/app.js");
        viewers.MapGet("/", (HttpContext ctx) =>
        {
            if (ctx.Request.Query.ContainsKey("key"))
            {
                // the key is traded for a session token and dropped from the address bar and history
                ctx.Response.Cookies.Append(Sessions.Cookie, sessions.Open(Policies.CallerOf(ctx.User)), new CookieOptions
                {
                    HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = ctx.Request.IsHttps, Path = "/", MaxAge = sessions.Lifetime,
                });
                return Results.Redirect("/");
            }
            return Results.Content(page, "text/html; charset=utf-8");
        }).WithMetadata(KeyInQuery.Instance).ExcludeFromDescription();
        viewers.MapGet("/app.js", () => Results.Content(script, "text/javascript; charset=utf-8")).ExcludeFromDescription();

        viewers.MapGet("/api/calls", CallsAsync).WithSummary("Live and recent calls with their counts and latency");
        viewers.MapGet("/api/captions/stream", StreamAsync).WithSummary("Captions as Server-Sent Events (?call= for one call; Last-Event-ID resumes)");
        viewers.Map("/api/captions/ws", SocketAsync).WithSummary("Captions over a WebSocket (?call=, ?after= resumes)");
        auditors.MapGet("/api/calls/{id}/captions.vtt", VttAsync).WithSummary("A call's finals as WebVTT");
        viewers.MapGet("/api/calls/{id}/captions", async (HttpContext ctx, string id) =>
        {
            var captions = new List<Caption>();
            await foreach (var c in CaptionFeed.MissedAsync(host.DataSource, 0, id, ctx.RequestAborted).ConfigureAwait(false))
            {
                captions.Add(c);
            }
            await ctx.Response.WriteAsJsonAsync(captions, Json, ctx.RequestAborted).ConfigureAwait(false);
        }).WithSummary("A call's recorded finals and gaps so far, for a page opened mid-call");
        foreach (var kind in ReportRequest.Kinds)
        {
            auditors.MapGet($"/api/reports/{kind}", (HttpContext ctx, string? call, string? from, string? to, string? flag, string? format) =>
                ReportAsync(ctx, kind, call, from, to, flag, format)).WithSummary($"The {kind} projection as csv, jsonl or json, streamed");
        }

        async Task CallsAsync(HttpContext ctx)
        {
            await using var cmd = host.DataSource.CreateCommand("""
                SELECT s.conversation_id, s.started_at, s.ended_at IS NOT NULL, s.segments, s.finals, s.gaps, s.redactions, l.p50_latency_ms, l.p99_latency_ms
                  FROM call_summaries s LEFT JOIN audit_call_latency l USING (conversation_id)
                 ORDER BY s.started_at DESC LIMIT 50
                """);
            await using var r = await cmd.ExecuteReaderAsync(ctx.RequestAborted).ConfigureAwait(false);
            var calls = new List<object>();
            while (await r.ReadAsync(ctx.RequestAborted).ConfigureAwait(false))
            {
                calls.Add(new
                {
                    conversationId = r.GetString(0), startedAt = r.GetDateTime(1), ended = r.GetBoolean(2), segments = r.GetInt32(3),
                    finals = r.GetInt32(4), gaps = r.GetInt32(5), redactions = r.GetInt32(6),
                    p50LatencyMs = r.IsDBNull(7) ? (double?)null : r.GetDouble(7), p99LatencyMs = r.IsDBNull(8) ? (double?)null : r.GetDouble(8),
                });
            }
            await ctx.Response.WriteAsJsonAsync(calls, Json, ctx.RequestAborted).ConfigureAwait(false);
        }

        async Task StreamAsync(HttpContext ctx)
        {
            var call = ctx.Request.Query["call"].ToString() is { Length: > 0 } c ? c : null;
            var after = long.TryParse(ctx.Request.Headers["Last-Event-ID"].ToString(), CultureInfo.InvariantCulture, out var id) ? id
                : long.TryParse(ctx.Request.Query["after"], CultureInfo.InvariantCulture, out var q) ? q : (long?)null;
            ctx.Response.Headers.ContentType = "text/event-stream";
            ctx.Response.Headers.CacheControl = "no-cache";
            await ctx.Response.WriteAsync("retry: 1000\n\n", ctx.RequestAborted).ConfigureAwait(false);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
            using var streaming = UntilStopping(ctx);
            try
            {
                await foreach (var caption in Captions(call, after, streaming.Token).ConfigureAwait(false))
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

        // An open caption stream never ends by itself: the host's stop would wait its whole shutdown
        // timeout for every consumer still reading, holding up the drain that commits what was heard.
        static CancellationTokenSource UntilStopping(HttpContext ctx) => CancellationTokenSource.CreateLinkedTokenSource(
            ctx.RequestAborted, ctx.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);

        async Task SocketAsync(HttpContext ctx)
        {
            if (!ctx.WebSockets.IsWebSocketRequest)
            {
                ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            var call = ctx.Request.Query["call"].ToString() is { Length: > 0 } c ? c : null;
            var after = long.TryParse(ctx.Request.Query["after"], CultureInfo.InvariantCulture, out var id) ? id : (long?)null;
            using var ws = await ctx.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            using var streaming = UntilStopping(ctx);
            try
            {
                await foreach (var caption in Captions(call, after, streaming.Token).ConfigureAwait(false))
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

        async IAsyncEnumerable<Caption> Captions(string? call, long? after, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            // subscribe first, then replay: nothing can fall between what the store gave and the live feed
            using var feed = new CaptionFeed(host.Recorder.Captions, call);
            var last = after ?? long.MaxValue;
            if (after is { } from)
            {
                await foreach (var missed in CaptionFeed.MissedAsync(host.DataSource, from, call, ct).ConfigureAwait(false))
                {
                    last = missed.Seq;
                    yield return missed;
                }
            }
            IAsyncEnumerator<Caption> live;
            try
            {
                live = feed.LiveAsync(ct).GetAsyncEnumerator(ct);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
            await using (live.ConfigureAwait(false))
            {
                while (true)
                {
                    try
                    {
                        if (!await live.MoveNextAsync().ConfigureAwait(false))
                        {
                            yield break;
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        yield break;
                    }
                    if (after is null || live.Current.Seq > last)
                    {
                        yield return live.Current;
                    }
                }
            }
        }

        async Task VttAsync(HttpContext ctx, string id)
        {
            if (!await RecordAccessAsync(ctx, $"/api/calls/{id}/captions.vtt", "").ConfigureAwait(false))
            {
                return;
            }
            ctx.Response.ContentType = "text/vtt; charset=utf-8";
            await using var cmd = host.DataSource.CreateCommand("""
                SELECT data->>'channel', (data->>'offsetMs')::bigint, (data->>'durationMs')::bigint, data->>'text'
                  FROM events WHERE stream_id = $1 AND type = 'segment_recorded' AND (data->>'isFinal')::boolean
                 ORDER BY (data->>'offsetMs')::bigint, seq
                """);
            cmd.Parameters.AddWithValue(id);
            await using var r = await cmd.ExecuteReaderAsync(ctx.RequestAborted).ConfigureAwait(false);
            var vtt = new StringBuilder("WEBVTT\n\n");
            var n = 0;
            while (await r.ReadAsync(ctx.RequestAborted).ConfigureAwait(false))
            {
                var start = r.GetInt64(1);
                var end = start + Math.Max(1, r.GetInt64(2));
                var who = Speaker(r.GetString(0));
                vtt.Append(CultureInfo.InvariantCulture, $"{++n}\n{Cue(start)} --> {Cue(end)}\n<v {who}>{VttText(r.GetString(3))}\n\n");
            }
            await ctx.Response.WriteAsync(vtt.ToString(), ctx.RequestAborted).ConfigureAwait(false);
        }

        async Task ReportAsync(HttpContext ctx, string kind, string? call, string? from, string? to, string? flag, string? format)
        {
            ReportRequest request;
            ReportFormat fmt;
            try
            {
                request = new ReportRequest(kind, call, Report.ParseTime(from, "from"), Report.ParseTime(to, "to"), flag);
                fmt = Report.ParseFormat(format, ReportFormat.Jsonl);
                if (fmt == ReportFormat.Table)
                {
                    throw new ArgumentException("format 'table' is for the CLI; use csv, jsonl or json");
                }
            }
            catch (ArgumentException e)
            {
                ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
                await ctx.Response.WriteAsJsonAsync(new { error = e.Message }).ConfigureAwait(false);
                return;
            }
            if (!await RecordAccessAsync(ctx, $"/api/reports/{kind}", request.Describe()).ConfigureAwait(false))
            {
                return;
            }
            ctx.Response.ContentType = fmt switch
            {
                ReportFormat.Csv => "text/csv; charset=utf-8",
                ReportFormat.Json => "application/json; charset=utf-8",
                _ => "application/x-ndjson; charset=utf-8",
            };
            await using var writer = new StreamWriter(ctx.Response.Body, new UTF8Encoding(false), 16 * 1024, leaveOpen: true);
            await Report.WriteAsync(host.DataSource, request, fmt, writer, ctx.RequestAborted).ConfigureAwait(false);
        }

        // Nothing is served unaudited: the access event must be durable first. While appends are stalled
        // that would hang every export, so past the bound the answer is 503 with the reason instead. The
        // event stays queued and is recorded when the store returns: an attempt is never lost either.
        async Task<bool> RecordAccessAsync(HttpContext ctx, string what, string query)
        {
            var caller = Policies.CallerOf(ctx.User);
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
            bound.CancelAfter(options.ReportAccessTimeout);
            string reason;
            try
            {
                var commit = await host.Committer.EnqueueAsync(new ReportAccessed(caller.Name, what, query, DateTimeOffset.UtcNow), bound.Token).ConfigureAwait(false);
                var appended = await commit.WaitAsync(bound.Token).ConfigureAwait(false);
                if (appended.Refusal is null)
                {
                    return true;
                }
                // recorded in its place as a refusal, which does not say who read what: not an audit record
                reason = "the access's audit event was refused by the store: " + appended.Refusal.Reason;
            }
            catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested)
            {
                reason = $"the event store did not commit this access's audit event within {options.ReportAccessTimeout.TotalSeconds:0.#} s"
                    + (host.Recorder.StoreFailing ? ": appends are failing (PostgreSQL unreachable or refusing)" : ": appends are backed up");
            }
            catch (Exception e) when (e is InvalidOperationException or ConcurrencyException)
            {
                reason = "the access's audit event could not be recorded: " + e.Message;
            }
            ctx.Response.Headers.RetryAfter = ((int)Math.Ceiling(options.ReportAccessTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The access could not be recorded, so nothing is served", detail: reason)
                .ExecuteAsync(ctx).ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>Who spoke, by channel; the media dialect's BOTH is one mixed stream of agent and customer, so it names neither.</summary>
    internal static string Speaker(string channel) => channel switch
    {
        "INTERNAL" => "Agent",
        "EXTERNAL" => "Customer",
        "BOTH" => "Both",
        _ => "Unknown",
    };

    private static string Cue(long ms) => TimeSpan.FromMilliseconds(ms).ToString(@"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);

    // WebVTT cue text is markup: its own escapes keep a transcript's "<" or "-->" from being read as such
    private static string VttText(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Embedded(string name)
    {
        using var s = typeof(Endpoints).Assembly.GetManifestResourceStream(name) ?? throw new FileNotFoundException(name);
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
