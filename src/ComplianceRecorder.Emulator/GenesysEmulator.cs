using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Emulator;

public sealed record EmulatorOptions
{
    public string Scenario { get; init; } = "demo";

    /// <summary>Scenario milliseconds per real millisecond: 1 is real time, 20 plays a 5-minute call in 15 s.</summary>
    public double Speed { get; init; } = 1;

    public int Seed { get; init; } = 42;

    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(30);

    public string ClientId { get; init; } = "emulator-client";

    public string ClientSecret { get; init; } = "emulator-secret";

    /// <summary>Play the scenario again from the start when it ends (the demo keeps calls coming).</summary>
    public bool Loop { get; init; }

    /// <summary>A channel lives this long unless subscribing again extends it; then it is closed and forgotten.</summary>
    public TimeSpan ChannelLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Genesys allows 20 channels per OAuth client.</summary>
    public int MaxChannels { get; init; } = 20;

    /// <summary>The stored transcript's clock against the live stream's: its phrase times are shifted by this much.</summary>
    public long StoredDriftMs { get; init; }
}

/// <summary>
/// Genesys Cloud as the recorder sees it, on loopback: OAuth client credentials, notification
/// channels and subscriptions, and the streaming WebSocket with real envelopes, heartbeats, queue
/// conversation events and transcription messages (../shared/genesys/notifications-api.md).
/// </summary>
public sealed class GenesysEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EmulatorOptions _options;
    private readonly ConcurrentDictionary<string, Channel> _channels = new();
    private readonly ConcurrentDictionary<string, string> _tokens = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _play = Task.CompletedTask;

    private sealed class Channel(string id, DateTimeOffset expires)
    {
        public string Id { get; } = id;
        public DateTimeOffset Expires { get; set; } = expires;
        public ConcurrentDictionary<string, bool> Topics { get; } = new();
        public WebSocket? Socket { get; set; }
        public SemaphoreSlim SendLock { get; } = new(1, 1);
    }

    private GenesysEmulator(WebApplication app, EmulatorOptions options)
    {
        _app = app;
        _options = options;
    }

    public Uri BaseUri { get; private set; } = null!;

    public Scenario Scenario { get; private set; } = null!;

    /// <summary>Frames sent on sockets so far, by kind; tests read it to know what was said.</summary>
    public ConcurrentDictionary<string, int> Sent { get; } = new();

    public EmulatorFaults Faults { get; } = new();

    /// <summary>Every topic subscribed on any channel now (a topic twice if two channels carry it).</summary>
    public IReadOnlyList<string> SubscribedTopics => [.. _channels.Values.SelectMany(c => c.Topics.Keys)];

    /// <summary>How many topics each live channel carries.</summary>
    public IReadOnlyList<int> TopicsPerChannel => [.. _channels.Values.Select(c => c.Topics.Count)];

    /// <summary>Channels created so far, and channels that ran out their life.</summary>
    public int ChannelsCreated => _channelsCreated;

    public int ChannelsExpired => _channelsExpired;

    /// <summary>Stored transcripts fetched through their transcripturl, to show backfill asked.</summary>
    public int TranscriptsServed => _transcriptsServed;

    /// <summary>PUT and POST requests on subscriptions so far, to show clients batch their changes.</summary>
    public int SubscriptionRequests => _subscriptionRequests;

    private int _subscriptionRequests;
    private int _channelsCreated;
    private int _channelsExpired;
    private int _transcriptsServed;

    /// <summary>Token requests served, to show that clients cache and share tokens.</summary>
    public int TokensIssued => _tokensIssued;

    private int _tokensIssued;
    private readonly Random _chaos = new(7);

    public static async Task<GenesysEmulator> StartAsync(EmulatorOptions options, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var emulator = new GenesysEmulator(app, options) { Scenario = Scenario.Load(options.Scenario) };
        app.UseWebSockets();
        emulator.Map(app);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        emulator.BaseUri = new Uri(address);
        emulator._play = Task.WhenAll(
            Task.Run(() => emulator.PlayAsync(emulator._stop.Token)),
            Task.Run(() => emulator.ExpireAsync(emulator._stop.Token)));
        return emulator;
    }

    private void Map(WebApplication app)
    {
        app.MapPost("/oauth/token", async (HttpContext ctx) =>
        {
            var auth = ctx.Request.Headers.Authorization.ToString();
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_options.ClientId}:{_options.ClientSecret}"));
            var form = await ctx.Request.ReadFormAsync().ConfigureAwait(false);
            var inBody = form["client_id"] == _options.ClientId && form["client_secret"] == _options.ClientSecret;
            if ((auth != expected && !inBody) || form["grant_type"] != "client_credentials")
            {
                return Results.Json(new JsonObject { ["error"] = "invalid_client", ["description"] = "authentication failed", ["error_description"] = "authentication failed" }, statusCode: 400);
            }
            var token = Convert.ToHexString(Guid.NewGuid().ToByteArray());
            _tokens[token] = _options.ClientId;
            Interlocked.Increment(ref _tokensIssued);
            return Results.Json(new JsonObject { ["access_token"] = token, ["token_type"] = "bearer", ["expires_in"] = 86399 });
        });

        var api = app.MapGroup("/api/v2").AddEndpointFilter(async (ctx, next) =>
        {
            if (!Authorized(ctx.HttpContext))
            {
                return Results.Json(new JsonObject { ["message"] = "Invalid login credentials.", ["code"] = "bad.credentials", ["status"] = 401 }, statusCode: 401);
            }
            if (Faults.TakeForbidden())
            {
                return Results.Json(new JsonObject
                {
                    ["message"] = "Unable to perform the requested action. You are missing the following permission(s): [conversation:transcription:view]",
                    ["code"] = "missing.permissions", ["status"] = 403,
                }, statusCode: 403);
            }
            if (Faults.TakeTooManyRequests())
            {
                ctx.HttpContext.Response.Headers.RetryAfter = Faults.RetryAfterAsDate
                    ? (DateTimeOffset.UtcNow + TimeSpan.FromSeconds(Faults.RetryAfterSeconds)).ToString("R")
                    : Faults.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Json(new JsonObject { ["message"] = "Rate limit exceeded the maximum", ["code"] = "too.many.requests.retry.after", ["status"] = 429 }, statusCode: 429);
            }
            if (Faults.TakeServerError())
            {
                return Results.Json(new JsonObject { ["message"] = "Service Unavailable", ["code"] = "service.unavailable", ["status"] = 503 }, statusCode: 503);
            }
            if (Faults.TakeStall() is { } stall)
            {
                await Task.Delay(stall, ctx.HttpContext.RequestAborted).ConfigureAwait(false);
            }
            return await next(ctx).ConfigureAwait(false);
        });
        app.MapPost("/emulator/faults", async (HttpContext ctx) =>
        {
            var body = await JsonNode.ParseAsync(ctx.Request.Body).ConfigureAwait(false);
            if (body?["dropSockets"]?.GetValue<bool>() == true)
            {
                DropSockets();
            }
            if (body?["expireTokens"]?.GetValue<bool>() == true)
            {
                ExpireTokens();
            }
            if (body?["expireChannels"]?.GetValue<bool>() == true)
            {
                await ExpireChannelsAsync(all: true).ConfigureAwait(false);
            }
            if (body?["serverErrors"]?.GetValue<int>() is { } e)
            {
                Faults.ServerErrors(e);
            }
            if (body?["stalls"]?.GetValue<int>() is { } stalls)
            {
                Faults.Stall(stalls, TimeSpan.FromSeconds(body["stallSeconds"]?.GetValue<double>() ?? 5));
            }
            if (body?["tooManyRequests"]?.GetValue<int>() is { } n)
            {
                Faults.TooManyRequests(n, body["retryAfterSeconds"]?.GetValue<int>() ?? 1, body["retryAfterAsDate"]?.GetValue<bool>() ?? false);
            }
            if (body?["subscriptionTimeouts"] is not null || body?["subscriptionServerErrors"] is not null || body?["subscriptionTooManyRequests"] is not null)
            {
                Faults.FailSubscriptionAdds(body["subscriptionTimeouts"]?.GetValue<int>() ?? 0, body["subscriptionServerErrors"]?.GetValue<int>() ?? 0,
                    body["subscriptionTooManyRequests"]?.GetValue<int>() ?? 0);
            }
            Faults.DuplicateRate = body?["duplicateRate"]?.GetValue<double>() ?? Faults.DuplicateRate;
            Faults.ReorderRate = body?["reorderRate"]?.GetValue<double>() ?? Faults.ReorderRate;
            Faults.SkipRate = body?["skipRate"]?.GetValue<double>() ?? Faults.SkipRate;
            return Results.NoContent();
        });

        MapArchive(api);
        api = api.MapGroup("notifications/channels");
        api.MapPost("", (HttpContext ctx) =>
        {
            if (_channels.Count >= _options.MaxChannels)
            {
                return Results.Json(new JsonObject { ["message"] = $"channel limit of {_options.MaxChannels} reached", ["code"] = "channel.limit.exceeded", ["status"] = 400 }, statusCode: 400);
            }
            var id = "streaming-0-" + Guid.NewGuid().ToString("N");
            var channel = new Channel(id, DateTimeOffset.UtcNow + _options.ChannelLifetime);
            _channels[id] = channel;
            Interlocked.Increment(ref _channelsCreated);
            var ws = new UriBuilder(BaseUri) { Scheme = "ws", Path = $"/channels/{id}" }.Uri;
            return Results.Json(new JsonObject { ["id"] = id, ["connectUri"] = ws.ToString(), ["expires"] = channel.Expires.ToString("O") });
        });
        api.MapMethods("{id}", ["HEAD"], (string id) => _channels.ContainsKey(id) ? Results.Ok() : Results.NotFound());
        api.MapGet("{id}/subscriptions", (string id) => _channels.TryGetValue(id, out var ch) ? Results.Json(Entities(ch.Topics.Keys)) : Results.NotFound());
        api.MapPut("{id}/subscriptions", async (string id, HttpContext ctx) => await Subscribe(id, ctx, replace: true).ConfigureAwait(false));
        api.MapPost("{id}/subscriptions", async (string id, HttpContext ctx) =>
        {
            switch (Faults.TakeSubscriptionFault())
            {
                case SubscriptionFault.Timeout:
                    try
                    {
                        await Task.Delay(TimeSpan.FromMinutes(1), ctx.RequestAborted).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                    return Results.Empty;
                case SubscriptionFault.ServerError:
                    return Results.Json(new JsonObject { ["message"] = "Service Unavailable", ["code"] = "service.unavailable", ["status"] = 503 }, statusCode: 503);
                case SubscriptionFault.TooManyRequests:
                    ctx.Response.Headers.RetryAfter = "1";
                    return Results.Json(new JsonObject { ["message"] = "Rate limit exceeded the maximum", ["code"] = "too.many.requests.retry.after", ["status"] = 429 }, statusCode: 429);
                default:
                    return await Subscribe(id, ctx, replace: false).ConfigureAwait(false);
            }
        });
        api.MapDelete("{id}/subscriptions", (string id) =>
        {
            if (_channels.TryGetValue(id, out var ch))
            {
                ch.Topics.Clear();
            }
            return Results.NoContent();
        });

        new MediaDialect(this, _options, Authorized).Map(app);

        app.Map("/channels/{id}", async (string id, HttpContext ctx) =>
        {
            if (!ctx.WebSockets.IsWebSocketRequest || !_channels.TryGetValue(id, out var ch))
            {
                ctx.Response.StatusCode = 404;
                return;
            }
            using var ws = await ctx.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            // one connection per channel: a second one takes it over
            var previous = ch.Socket;
            ch.Socket = ws;
            previous?.Abort();
            var buffer = new byte[4096];
            try
            {
                while (ws.State == WebSocketState.Open)
                {
                    var r = await ws.ReceiveAsync(buffer, _stop.Token).ConfigureAwait(false);
                    if (r.MessageType == WebSocketMessageType.Close)
                    {
                        ClientCloses.Enqueue($"{(int?)r.CloseStatus} {r.CloseStatusDescription}");
                        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).ConfigureAwait(false);
                        break;
                    }
                    if (Encoding.UTF8.GetString(buffer, 0, r.Count).Contains("ping", StringComparison.Ordinal))
                    {
                        await SendAsync(ch, Envelope("channel.metadata", new JsonObject { ["message"] = "pong" })).ConfigureAwait(false);
                    }
                }
            }
            catch (WebSocketException) when (ch.Socket == ws)
            {
                ClientCloses.Enqueue("dropped without a close frame");
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        });
    }

    /// <summary>How clients ended their channel sockets: the close code and reason, or that they just dropped them.</summary>
    public ConcurrentQueue<string> ClientCloses { get; } = new();

    private bool Authorized(HttpContext ctx)
    {
        var h = ctx.Request.Headers.Authorization.ToString();
        return h.StartsWith("Bearer ", StringComparison.Ordinal) && _tokens.ContainsKey(h["Bearer ".Length..]);
    }

    private async Task<IResult> Subscribe(string id, HttpContext ctx, bool replace)
    {
        if (!_channels.TryGetValue(id, out var ch))
        {
            return Results.NotFound();
        }
        var body = await JsonNode.ParseAsync(ctx.Request.Body).ConfigureAwait(false) as JsonArray ?? [];
        Interlocked.Increment(ref _subscriptionRequests);
        // subscribing again extends the channel's life
        ch.Expires = DateTimeOffset.UtcNow + _options.ChannelLifetime;
        if (replace)
        {
            ch.Topics.Clear();
        }
        foreach (var item in body)
        {
            if (item?["id"]?.GetValue<string>() is { } topic)
            {
                if (ch.Topics.Count >= 1000)
                {
                    return Results.Json(new JsonObject { ["message"] = "topic limit of 1000 reached", ["status"] = 400 }, statusCode: 400);
                }
                ch.Topics[topic] = true;
            }
        }
        return Results.Json(Entities(ch.Topics.Keys));
    }

    private static JsonObject Entities(IEnumerable<string> topics) =>
        new() { ["entities"] = new JsonArray([.. topics.Select(t => (JsonNode)new JsonObject { ["id"] = t, ["state"] = "Permitted" })]) };

    private static string Envelope(string topic, JsonObject body) =>
        new JsonObject { ["topicName"] = topic, ["version"] = "2", ["eventBody"] = body, ["metadata"] = new JsonObject { ["CorrelationId"] = Guid.NewGuid().ToString() } }.ToJsonString();

    /// <summary>Sends a frame to every channel subscribed to <paramref name="topic"/>.</summary>
    private async Task PublishAsync(string topic, string frame, string kind)
    {
        foreach (var ch in _channels.Values)
        {
            if (ch.Topics.ContainsKey(topic))
            {
                await SendAsync(ch, frame).ConfigureAwait(false);
                Sent.AddOrUpdate(kind, 1, (_, n) => n + 1);
            }
        }
    }

    private async Task PublishTranscriptAsync(string topic, string frame, string kind)
    {
        double roll;
        lock (_chaos)
        {
            roll = _chaos.NextDouble();
        }
        if (roll < Faults.SkipRate)
        {
            Sent.AddOrUpdate("skipped", 1, (_, n) => n + 1);
            return;
        }
        if (roll >= Faults.SkipRate && roll < Faults.SkipRate + Faults.ReorderRate && _heldBack.TryAdd(topic, (frame, kind)))
        {
            // sent after the next message on this topic (or before the session's end), as a network path that reorders would
            Sent.AddOrUpdate("reordered", 1, (_, n) => n + 1);
            return;
        }
        await PublishAsync(topic, frame, kind).ConfigureAwait(false);
        if (roll > 1 - Faults.DuplicateRate)
        {
            await PublishAsync(topic, frame, "duplicate").ConfigureAwait(false);
        }
        await ReleaseHeldBackAsync(topic).ConfigureAwait(false);
    }

    private readonly ConcurrentDictionary<string, (string Frame, string Kind)> _heldBack = new();

    private async Task ReleaseHeldBackAsync(string topic)
    {
        if (_heldBack.TryRemove(topic, out var held))
        {
            await PublishAsync(topic, held.Frame, held.Kind).ConfigureAwait(false);
        }
    }

    private static async Task SendAsync(Channel ch, string frame)
    {
        if (ch.Socket is not { State: WebSocketState.Open } ws)
        {
            return;
        }
        await ch.SendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await ws.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
        }
        finally
        {
            ch.SendLock.Release();
        }
    }

    private async Task ExpireAsync(CancellationToken ct)
    {
        var every = TimeSpan.FromTicks(Math.Clamp(_options.ChannelLifetime.Ticks / 4, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(every, ct).ConfigureAwait(false);
            await ExpireChannelsAsync(all: false).ConfigureAwait(false);
        }
    }

    /// <summary>Channels past their life (or all of them, on demand) are closed and forgotten, as Genesys does.</summary>
    public async Task ExpireChannelsAsync(bool all)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var ch in _channels.Values)
        {
            if ((all || ch.Expires <= now) && _channels.TryRemove(ch.Id, out _))
            {
                Interlocked.Increment(ref _channelsExpired);
                if (ch.Socket is { State: WebSocketState.Open } ws)
                {
                    await ch.SendLock.WaitAsync().ConfigureAwait(false);
                    try
                    {
                        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "channel expired", CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (WebSocketException)
                    {
                    }
                    finally
                    {
                        ch.SendLock.Release();
                    }
                }
            }
        }
    }

    /// <summary>Every token issued so far stops working: the next REST call gets 401.</summary>
    public void ExpireTokens() => _tokens.Clear();

    /// <summary>Closes every socket with a close frame and this code (1001 "idle timeout", say).</summary>
    public async Task CloseSocketsAsync(WebSocketCloseStatus status, string reason)
    {
        foreach (var ch in _channels.Values)
        {
            if (ch.Socket is { State: WebSocketState.Open } ws)
            {
                try
                {
                    await ws.CloseOutputAsync(status, reason, CancellationToken.None).ConfigureAwait(false);
                }
                catch (WebSocketException)
                {
                }
            }
        }
    }

    private readonly ConcurrentBag<WebSocket> _mediaSockets = [];

    internal void TrackMediaSocket(WebSocket ws) => _mediaSockets.Add(ws);

    /// <summary>Drops every socket abruptly (no close handshake), as a network failure would.</summary>
    public void DropSockets()
    {
        foreach (var ws in _mediaSockets)
        {
            ws.Abort();
        }
        foreach (var ch in _channels.Values)
        {
            ch.Socket?.Abort();
        }
    }

    /// <summary>Sends raw text on every open socket: malformed and oversized frames on demand.</summary>
    public async Task InjectFrameAsync(string raw)
    {
        foreach (var ch in _channels.Values)
        {
            await SendAsync(ch, raw).ConfigureAwait(false);
        }
    }

    private async Task PlayAsync(CancellationToken ct)
    {
        // calls arrive once a recorder listens on the queue, so a test or demo never misses the first one
        var queueTopic = $"v2.routing.queues.{Scenario.QueueId}.conversations";
        while (!ct.IsCancellationRequested && !_channels.Values.Any(c => c.Topics.ContainsKey(queueTopic) && c.Socket is { State: WebSocketState.Open }))
        {
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
        var timeline = new List<(long At, Func<Task> Send)>();
        do
        {
            timeline.Clear();
            var round = Guid.NewGuid().ToString("N")[..8];
            foreach (var call in Scenario.Calls)
            {
                // each round's calls are new calls: the round replaces the first part of the id and the rest tells the calls apart
                var id = _options.Loop ? round + call.ConversationId[Math.Min(8, call.ConversationId.Length)..] : call.ConversationId;
                var communicationId = Guid.NewGuid().ToString();
                var callClock = new CallClock(_options.Speed);
                _stored[(id, communicationId)] = (call, callClock);
                timeline.Add((call.StartMs, () =>
                {
                    callClock.Start = DateTimeOffset.UtcNow;
                    return PublishAsync($"v2.routing.queues.{Scenario.QueueId}.conversations",
                    Envelope($"v2.routing.queues.{Scenario.QueueId}.conversations", QueueEvent(id, "connected")), "queue");
                }));
                long end = call.StartMs;
                // transcripts start a moment after the call is announced, as transcription spins up
                foreach (var e in Transcriber.Emissions(call, _options.Seed))
                {
                    // at least a real second, so a recorder that subscribes on the queue event hears the first words even on a loaded machine
                    var at = call.StartMs + (long)Math.Max(1000, 1000 * _options.Speed) + e.AtMs;
                    end = Math.Max(end, at);
                    timeline.Add((at, () => PublishTranscriptAsync($"v2.conversations.{id}.transcription",
                        Envelope($"v2.conversations.{id}.transcription", Transcript(id, communicationId, e, callClock)), e.IsFinal ? "final" : "partial")));
                }
                timeline.Add((end + 500, async () =>
                {
                    await ReleaseHeldBackAsync($"v2.conversations.{id}.transcription").ConfigureAwait(false);
                    // Genesys keeps the transcript once the call is over, not before
                    _ended[(id, communicationId)] = true;
                    await PublishAsync($"v2.conversations.{id}.transcription",
                        Envelope($"v2.conversations.{id}.transcription", SessionEnded(id, communicationId, end)), "ended").ConfigureAwait(false);
                }));
                timeline.Add((end + 600, () => PublishAsync($"v2.routing.queues.{Scenario.QueueId}.conversations",
                    Envelope($"v2.routing.queues.{Scenario.QueueId}.conversations", QueueEvent(id, "disconnected")), "queue")));
            }
            timeline.Sort((a, b) => a.At.CompareTo(b.At));
            var started = DateTimeOffset.UtcNow;
            var nextHeartbeat = TimeSpan.Zero;
            foreach (var (at, send) in timeline)
            {
                var due = started + TimeSpan.FromMilliseconds(at / _options.Speed);
                while (DateTimeOffset.UtcNow < due)
                {
                    // the clock moves between the check and here: never a negative delay
                    var wait = TimeSpan.FromTicks(Math.Max(0, (due - DateTimeOffset.UtcNow).Ticks));
                    await Task.Delay(wait > TimeSpan.FromMilliseconds(200) ? TimeSpan.FromMilliseconds(200) : wait, ct).ConfigureAwait(false);
                    if (DateTimeOffset.UtcNow - started > nextHeartbeat)
                    {
                        nextHeartbeat += _options.Heartbeat;
                        await HeartbeatAsync().ConfigureAwait(false);
                    }
                }
                await send().ConfigureAwait(false);
            }
            if (_options.Loop)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(3000 / _options.Speed), ct).ConfigureAwait(false);
            }
        }
        while (_options.Loop && !ct.IsCancellationRequested);
    }

    private readonly ConcurrentDictionary<(string Conversation, string Communication), (ScriptedCall Call, CallClock Clock)> _stored = new();
    private readonly ConcurrentDictionary<(string Conversation, string Communication), bool> _ended = new();

    /// <summary>When each call played so far was announced: a checker places what was said on the wall clock from it.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> CallsAnnounced => _stored.ToDictionary(s => s.Key.Conversation, s => s.Value.Clock.Start);

    /// <summary>
    /// What Genesys keeps after a call: once the call is over, transcripturl answers a short-lived URL, and
    /// that URL serves the whole transcript (every final, with speaker and times) whatever the live stream lost.
    /// </summary>
    private void MapArchive(RouteGroupBuilder api)
    {
        api.MapGet("speechandtextanalytics/conversations/{conversation}/communications/{communication}/transcripturl", (string conversation, string communication) =>
            _ended.ContainsKey((conversation, communication))
                ? Results.Json(new JsonObject { ["url"] = new Uri(BaseUri, $"/emulator/transcripts/{conversation}/{communication}?X-Amz-Expires=300").ToString() })
                : Results.Json(new JsonObject { ["message"] = "transcript not found", ["code"] = "not.found", ["status"] = 404 }, statusCode: 404));
        _app.MapGet("/emulator/transcripts/{conversation}/{communication}", (string conversation, string communication) =>
        {
            if (!_stored.TryGetValue((conversation, communication), out var stored))
            {
                return Results.NotFound();
            }
            Interlocked.Increment(ref _transcriptsServed);
            var start = stored.Clock.Start.ToUnixTimeMilliseconds();
            var phrases = new JsonArray();
            foreach (var e in Transcriber.Emissions(stored.Call, _options.Seed).Where(e => e.IsFinal))
            {
                // the same offsets the live stream sent, so what was heard live can be told apart
                var offset = stored.Clock.UtteranceOffset(e);
                phrases.Add(new JsonObject
                {
                    ["text"] = e.Text, ["decoratedText"] = e.Text, ["stability"] = 0.9, ["startTimeMs"] = start + offset + _options.StoredDriftMs,
                    ["duration"] = new JsonObject { ["milliseconds"] = stored.Clock.Real(e.DurationMs) },
                    ["participantPurpose"] = e.Channel == "INTERNAL" ? "internal" : "external", ["phraseIndex"] = phrases.Count,
                });
            }
            return Results.Json(new JsonObject
            {
                ["organizationId"] = "emulated-org", ["conversationId"] = conversation, ["communicationId"] = communication, ["mediaType"] = "call",
                ["transcripts"] = new JsonArray(new JsonObject
                {
                    ["transcriptId"] = Guid.NewGuid().ToString(), ["language"] = "en-US", ["startTime"] = start, ["phrases"] = phrases,
                }),
            });
        });
    }

    private async Task HeartbeatAsync()
    {
        var frame = Envelope("channel.metadata", new JsonObject { ["message"] = "WebSocket Heartbeat" });
        foreach (var ch in _channels.Values)
        {
            await SendAsync(ch, frame).ConfigureAwait(false);
        }
    }

    private static JsonObject QueueEvent(string conversationId, string state) => new()
    {
        ["id"] = conversationId,
        ["participants"] = new JsonArray(
            new JsonObject { ["purpose"] = "customer", ["calls"] = new JsonArray(new JsonObject { ["state"] = state }) },
            new JsonObject { ["purpose"] = "agent", ["calls"] = new JsonArray(new JsonObject { ["state"] = state }) }),
    };

    /// <summary>
    /// The transcription session of one call on the wall clock: offsets are sent in real milliseconds
    /// (scenario time divided by the speed), so source timestamps stay truthful in scaled time.
    /// </summary>
    private sealed class CallClock(double speed)
    {
        public DateTimeOffset Start { get; set; } = DateTimeOffset.UtcNow;

        public long Real(long scenarioMs) => (long)(scenarioMs / speed);

        /// <summary>Where an utterance starts in the transcription session (which starts a second into the call); live and stored transcripts both say this.</summary>
        public long UtteranceOffset(Emission e) => Real(e.OffsetMs + 1000);
    }

    private static JsonObject Transcript(string conversationId, string communicationId, Emission e, CallClock clock) => new()
    {
        ["eventTime"] = DateTimeOffset.UtcNow.ToString("O"),
        ["organizationId"] = "emulated-org",
        ["conversationId"] = conversationId,
        ["communicationId"] = communicationId,
        ["sessionStartTimeMs"] = clock.Start.ToUnixTimeMilliseconds(),
        ["transcriptionStartTimeMs"] = clock.Start.ToUnixTimeMilliseconds(),
        ["status"] = new JsonObject { ["offsetMs"] = clock.Real(e.OffsetMs), ["status"] = "SESSION_ONGOING" },
        ["transcripts"] = new JsonArray(new JsonObject
        {
            ["utteranceId"] = e.UtteranceId,
            ["isFinal"] = e.IsFinal,
            ["channel"] = e.Channel,
            ["alternatives"] = new JsonArray(new JsonObject
            {
                ["confidence"] = 0.9,
                ["offsetMs"] = clock.UtteranceOffset(e),
                ["durationMs"] = clock.Real(e.DurationMs),
                ["transcript"] = e.Text,
                ["decoratedTranscript"] = e.Text,
            }),
            ["engineProvider"] = "GENESYS",
            ["dialect"] = "en-US",
        }),
    };

    private static JsonObject SessionEnded(string conversationId, string communicationId, long offset) => new()
    {
        ["eventTime"] = DateTimeOffset.UtcNow.ToString("O"),
        ["conversationId"] = conversationId,
        ["communicationId"] = communicationId,
        ["status"] = new JsonObject { ["offsetMs"] = offset, ["status"] = "SESSION_ENDED" },
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _play.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        DropSockets();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
