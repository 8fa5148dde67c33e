using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ComplianceRecorder.Emulator.Notifications;

/// <summary>
/// The Notifications API (../shared/genesys/notifications-api.md): channels created by POST and
/// expiring unless subscribed again, subscriptions put, added and deleted, and one streaming socket
/// per channel on which every message on a subscribed topic is sent, with the scenario's faults.
/// </summary>
internal sealed class NotificationsDialect(GenesysEmulator emulator, EmulatorOptions options, CancellationToken stop)
{
    private readonly ConcurrentDictionary<string, Channel> _channels = new();
    private readonly ConcurrentDictionary<string, (string Frame, string Kind)> _heldBack = new();
    private readonly Random _chaos = new(7);
    private int _subscriptionRequests;
    private int _channelsCreated;
    private int _channelsExpired;

    private sealed class Channel(string id, DateTimeOffset expires)
    {
        public string Id { get; } = id;
        public DateTimeOffset Expires { get; set; } = expires;
        public ConcurrentDictionary<string, bool> Topics { get; } = new();
        public WebSocket? Socket { get; set; }
        public SemaphoreSlim SendLock { get; } = new(1, 1);
    }

    public IReadOnlyList<string> SubscribedTopics => [.. _channels.Values.SelectMany(c => c.Topics.Keys)];

    public IReadOnlyList<int> TopicsPerChannel => [.. _channels.Values.Select(c => c.Topics.Count)];

    public int ChannelsCreated => _channelsCreated;

    public int ChannelsExpired => _channelsExpired;

    public int SubscriptionRequests => _subscriptionRequests;

    public ConcurrentQueue<string> ClientCloses { get; } = new();

    /// <summary>Whether a channel with an open socket carries <paramref name="topic"/>.</summary>
    public bool Listening(string topic) => _channels.Values.Any(c => c.Topics.ContainsKey(topic) && c.Socket is { State: WebSocketState.Open });

    /// <summary>The channel endpoints under <paramref name="api"/>, and the channels' sockets on <paramref name="app"/>.</summary>
    public void Map(RouteGroupBuilder api, WebApplication app)
    {
        api = api.MapGroup("notifications/channels");
        api.MapPost("", (HttpContext ctx) =>
        {
            if (_channels.Count >= options.MaxChannels)
            {
                return Results.Json(new JsonObject { ["message"] = $"channel limit of {options.MaxChannels} reached", ["code"] = "channel.limit.exceeded", ["status"] = 400 }, statusCode: 400);
            }
            var id = "streaming-0-" + Guid.NewGuid().ToString("N");
            var channel = new Channel(id, DateTimeOffset.UtcNow + options.ChannelLifetime);
            _channels[id] = channel;
            Interlocked.Increment(ref _channelsCreated);
            var ws = new UriBuilder(emulator.BaseUri) { Scheme = "ws", Path = $"/channels/{id}" }.Uri;
            return Results.Json(new JsonObject { ["id"] = id, ["connectUri"] = ws.ToString(), ["expires"] = channel.Expires.ToString("O") });
        });
        api.MapMethods("{id}", ["HEAD"], (string id) => _channels.ContainsKey(id) ? Results.Ok() : Results.NotFound());
        api.MapGet("{id}/subscriptions", (string id) => _channels.TryGetValue(id, out var ch) ? Results.Json(NotificationFrames.Entities(ch.Topics.Keys)) : Results.NotFound());
        api.MapPut("{id}/subscriptions", async (string id, HttpContext ctx) => await SubscribeAsync(id, ctx, replace: true).ConfigureAwait(false));
        api.MapPost("{id}/subscriptions", async (string id, HttpContext ctx) =>
        {
            switch (emulator.Faults.TakeSubscriptionFault())
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
                    return await SubscribeAsync(id, ctx, replace: false).ConfigureAwait(false);
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
        app.Map("/channels/{id}", ServeSocketAsync);
    }

    private async Task ServeSocketAsync(string id, HttpContext ctx)
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
                var r = await ws.ReceiveAsync(buffer, stop).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    ClientCloses.Enqueue($"{(int?)r.CloseStatus} {r.CloseStatusDescription}");
                    await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).ConfigureAwait(false);
                    break;
                }
                if (Encoding.UTF8.GetString(buffer, 0, r.Count).Contains("ping", StringComparison.Ordinal))
                {
                    await SendAsync(ch, NotificationFrames.Pong()).ConfigureAwait(false);
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
    }

    private async Task<IResult> SubscribeAsync(string id, HttpContext ctx, bool replace)
    {
        if (!_channels.TryGetValue(id, out var ch))
        {
            return Results.NotFound();
        }
        var body = await JsonNode.ParseAsync(ctx.Request.Body).ConfigureAwait(false) as JsonArray ?? [];
        Interlocked.Increment(ref _subscriptionRequests);
        // subscribing again extends the channel's life
        ch.Expires = DateTimeOffset.UtcNow + options.ChannelLifetime;
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
        return Results.Json(NotificationFrames.Entities(ch.Topics.Keys));
    }

    /// <summary>Sends a frame to every channel subscribed to <paramref name="topic"/>.</summary>
    public async Task PublishAsync(string topic, string frame, string kind)
    {
        foreach (var ch in _channels.Values)
        {
            if (ch.Topics.ContainsKey(topic))
            {
                await SendAsync(ch, frame).ConfigureAwait(false);
                emulator.Sent.AddOrUpdate(kind, 1, (_, n) => n + 1);
            }
        }
    }

    /// <summary>A transcript message, skipped, reordered or duplicated as the faults ask.</summary>
    public async Task PublishTranscriptAsync(string topic, string frame, string kind)
    {
        var faults = emulator.Faults;
        double roll;
        lock (_chaos)
        {
            roll = _chaos.NextDouble();
        }
        if (roll < faults.SkipRate)
        {
            emulator.Sent.AddOrUpdate("skipped", 1, (_, n) => n + 1);
            return;
        }
        if (roll >= faults.SkipRate && roll < faults.SkipRate + faults.ReorderRate && _heldBack.TryAdd(topic, (frame, kind)))
        {
            // sent after the next message on this topic (or before the session's end), as a network path that reorders would
            emulator.Sent.AddOrUpdate("reordered", 1, (_, n) => n + 1);
            return;
        }
        await PublishAsync(topic, frame, kind).ConfigureAwait(false);
        if (roll > 1 - faults.DuplicateRate)
        {
            await PublishAsync(topic, frame, "duplicate").ConfigureAwait(false);
        }
        await ReleaseHeldBackAsync(topic).ConfigureAwait(false);
    }

    public async Task ReleaseHeldBackAsync(string topic)
    {
        if (_heldBack.TryRemove(topic, out var held))
        {
            await PublishAsync(topic, held.Frame, held.Kind).ConfigureAwait(false);
        }
    }

    public async Task HeartbeatAsync()
    {
        var frame = NotificationFrames.Heartbeat();
        foreach (var ch in _channels.Values)
        {
            await SendAsync(ch, frame).ConfigureAwait(false);
        }
    }

    /// <summary>Sends raw text on every open socket.</summary>
    public async Task InjectFrameAsync(string raw)
    {
        foreach (var ch in _channels.Values)
        {
            await SendAsync(ch, raw).ConfigureAwait(false);
        }
    }

    public async Task ExpireAsync(CancellationToken ct)
    {
        var every = TimeSpan.FromTicks(Math.Clamp(options.ChannelLifetime.Ticks / 4, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));
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

    public void DropSockets()
    {
        foreach (var ch in _channels.Values)
        {
            ch.Socket?.Abort();
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
}
