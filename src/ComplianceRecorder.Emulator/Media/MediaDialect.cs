using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ComplianceRecorder.Emulator.Media;

/// <summary>
/// The seed tutorial's Media API dialect (../shared/genesys/seed-media-api.md): activation by POST,
/// then a WebSocket on which the client subscribes with a mediaSessionId filter and receives JSON
/// arrays of transcription messages numbered by eventSequence. A scenario call's conversationId is
/// its mediaSessionId here.
/// </summary>
internal sealed class MediaDialect(GenesysEmulator emulator, EmulatorOptions options, Func<HttpContext, bool> authorized)
{
    private readonly ConcurrentDictionary<string, bool> _active = new();
    private readonly Random _chaos = new(11);

    public void Map(WebApplication app)
    {
        app.MapPost("/api/v2/media/transcriptions", async (HttpContext ctx) =>
        {
            if (!authorized(ctx))
            {
                return Results.Json(new JsonObject { ["message"] = "token expired or invalid", ["status"] = 401 }, statusCode: 401);
            }
            if (emulator.Faults.TakeTooManyRequests())
            {
                ctx.Response.Headers.RetryAfter = emulator.Faults.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Json(new JsonObject { ["message"] = "rate limited", ["status"] = 429 }, statusCode: 429);
            }
            var body = await JsonNode.ParseAsync(ctx.Request.Body).ConfigureAwait(false);
            var session = body?["mediaSessionId"]?.GetValue<string>();
            if (session is null || !emulator.Scenario.Calls.Any(c => c.ConversationId == session))
            {
                return Results.Json(new JsonObject { ["message"] = $"media session {session} not found", ["status"] = 404 }, statusCode: 404);
            }
            _active[session] = true;
            return Results.Json(new JsonObject
            {
                ["id"] = "trans-" + Math.Abs(session.GetHashCode(StringComparison.Ordinal)),
                ["status"] = "active",
                ["mediaSessionId"] = session,
                ["createdTime"] = DateTimeOffset.UtcNow.ToString("O"),
            }, statusCode: 201);
        });

        app.Map("/api/v2/websocket", async (HttpContext ctx) =>
        {
            if (!ctx.WebSockets.IsWebSocketRequest)
            {
                ctx.Response.StatusCode = 400;
                return;
            }
            using var ws = await ctx.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            emulator.TrackMediaSocket(ws);
            var buffer = new byte[8192];
            try
            {
                var r = await ws.ReceiveAsync(buffer, ctx.RequestAborted).ConfigureAwait(false);
                var subscribe = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, r.Count));
                var session = subscribe?["filter"]?["mediaSessionId"]?.GetValue<string>();
                var call = emulator.Scenario.Calls.FirstOrDefault(c => c.ConversationId == session);
                if (subscribe?["action"]?.GetValue<string>() != "subscribe" || call is null || !_active.ContainsKey(session!))
                {
                    await ws.CloseAsync(WebSocketCloseStatus.PolicyViolation, "subscribe to an activated mediaSessionId first", CancellationToken.None).ConfigureAwait(false);
                    return;
                }
                await PlayAsync(ws, call, ctx.RequestAborted).ConfigureAwait(false);
                // the session is over: the tutorial closes normally (1000)
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "session ended", CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        });
    }

    /// <summary>
    /// Where a session's speech has got to. The call goes on while no socket listens: a reconnect hears
    /// it from where it is now, numbered afresh from 1 (the tutorial's stream restarts its sequence),
    /// and what was said meanwhile is lost to the live stream.
    /// </summary>
    private sealed class Playback(DateTimeOffset started, List<Emission> emissions)
    {
        public DateTimeOffset Started { get; } = started;
        public List<Emission> Emissions { get; } = emissions;
        public int Next;
        public int Connection;
    }

    private readonly ConcurrentDictionary<string, Playback> _playbacks = new();

    private async Task PlayAsync(WebSocket ws, ScriptedCall call, CancellationToken ct)
    {
        var playback = _playbacks.GetOrAdd(call.ConversationId, _ => new Playback(DateTimeOffset.UtcNow, [.. Transcriber.Emissions(call, options.Seed)]));
        int connection;
        lock (playback)
        {
            connection = ++playback.Connection;
        }
        var connectedAt = DateTimeOffset.UtcNow;
        long sequence = 0;
        while (true)
        {
            Emission e;
            lock (playback)
            {
                if (playback.Connection != connection || playback.Next >= playback.Emissions.Count)
                {
                    // a newer socket carries the session on, or the session is over
                    return;
                }
                e = playback.Emissions[playback.Next];
            }
            var due = playback.Started + TimeSpan.FromMilliseconds(e.AtMs / options.Speed);
            if (connection > 1 && due < connectedAt)
            {
                // said while no socket listened
                Advance(playback, connection);
                emulator.Sent.AddOrUpdate("unheard", 1, (_, n) => n + 1);
                continue;
            }
            var wait = due - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct).ConfigureAwait(false);
            }
            sequence++;
            var message = new JsonObject
            {
                ["eventType"] = "transcription",
                ["eventSequence"] = sequence,
                ["mediaSessionId"] = call.ConversationId,
                ["transcript"] = e.Text,
                ["isPartial"] = !e.IsFinal,
                ["timestamp"] = DateTimeOffset.UtcNow.ToString("O"),
            };
            double roll;
            lock (_chaos)
            {
                roll = _chaos.NextDouble();
            }
            if (roll < emulator.Faults.SkipRate)
            {
                Advance(playback, connection);
                emulator.Sent.AddOrUpdate("skipped", 1, (_, n) => n + 1);
                continue;
            }
            var frame = Encoding.UTF8.GetBytes(new JsonArray(message).ToJsonString());
            await ws.SendAsync(frame, WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
            Advance(playback, connection);
            emulator.Sent.AddOrUpdate(e.IsFinal ? "final" : "partial", 1, (_, n) => n + 1);
            if (e.IsFinal && connection > 1)
            {
                emulator.Sent.AddOrUpdate("final after a reconnect", 1, (_, n) => n + 1);
            }
            if (roll > 1 - emulator.Faults.DuplicateRate)
            {
                await ws.SendAsync(frame, WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
                emulator.Sent.AddOrUpdate("duplicate", 1, (_, n) => n + 1);
            }
        }
    }

    private static void Advance(Playback playback, int connection)
    {
        lock (playback)
        {
            if (playback.Connection == connection)
            {
                playback.Next++;
            }
        }
    }
}
