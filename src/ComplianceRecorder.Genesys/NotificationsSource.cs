using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Reactive.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComplianceRecorder.Pipeline.Input;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Genesys;

/// <summary>
/// The Notifications API as one observable of decoded transcript events: a channel, its socket, a
/// subscription per followed call (one per call per process, so streams never interleave), queue
/// topics to find new calls, and reconnection with backoff that reports how long the socket was down.
/// </summary>
public sealed class NotificationsSource(HttpClient http, GenesysOptions options, TimeProvider time, ILogger log)
{
    // throws on invalid UTF-8, so such a frame is quarantined rather than silently repaired
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    private readonly TokenProvider _tokens = new(http, options, time);
    private readonly ConcurrentDictionary<string, bool> _calls = new();

    public bool Connected { get; private set; }

    public int Reconnects { get; private set; }

    public IObservable<SourceEvent> Events() => Observable.Create<SourceEvent>((observer, ct) => RunAsync(observer, ct));

    private async Task RunAsync(IObserver<SourceEvent> observer, CancellationToken ct)
    {
        foreach (var id in options.ConversationIds)
        {
            _calls[id] = true;
        }
        var backoff = TimeSpan.FromMilliseconds(200);
        DateTimeOffset? downSince = null;
        var downReason = "";
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var channel = await SendAsync(HttpMethod.Post, "/api/v2/notifications/channels", null, ct).ConfigureAwait(false);
                var channelId = channel!["id"]!.GetValue<string>();
                var connectUri = new Uri(channel["connectUri"]!.GetValue<string>());
                using var ws = new ClientWebSocket();
                await ws.ConnectAsync(connectUri, ct).ConfigureAwait(false);
                var topics = options.QueueIds.Select(q => $"v2.routing.queues.{q}.conversations").Concat(_calls.Keys.Select(TranscriptionTopic));
                await SendAsync(HttpMethod.Put, $"/api/v2/notifications/channels/{channelId}/subscriptions", Topics(topics), ct).ConfigureAwait(false);
                Connected = true;
                if (downSince is { } from)
                {
                    observer.OnNext(new SourceDisconnected([.. _calls.Keys], from, downReason, time.GetUtcNow()));
                    downSince = null;
                }
                backoff = TimeSpan.FromMilliseconds(200);
                log.LogInformation("Genesys channel {Channel} connected, following {Calls} calls", channelId, _calls.Count);
                var reason = await ReceiveAsync(ws, channelId, observer, ct).ConfigureAwait(false);
                if (reason is null)
                {
                    break;
                }
                downReason = reason;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (GenesysAuthException e)
            {
                observer.OnError(e);
                return;
            }
            catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException or JsonException)
            {
                downReason = e.GetType().Name + ": " + e.Message;
            }
            Connected = false;
            downSince ??= time.GetUtcNow();
            Reconnects++;
            log.LogWarning("Genesys socket down ({Reason}); reconnecting in {Delay} ms", downReason, backoff.TotalMilliseconds);
            await Task.Delay(backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(50)), time, ct).ConfigureAwait(false);
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 10_000));
        }
        Connected = false;
        observer.OnCompleted();
    }

    /// <returns>null on a deliberate close; otherwise why the socket went away.</returns>
    private async Task<string?> ReceiveAsync(ClientWebSocket ws, string channelId, IObserver<SourceEvent> observer, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        long total = 0;
        while (true)
        {
            WebSocketReceiveResult r;
            try
            {
                r = await ws.ReceiveAsync(buffer, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return null;
            }
            catch (WebSocketException e)
            {
                return "socket dropped: " + e.WebSocketErrorCode;
            }
            if (r.MessageType == WebSocketMessageType.Close)
            {
                return r.CloseStatus == WebSocketCloseStatus.NormalClosure && ct.IsCancellationRequested ? null : $"closed {(int?)r.CloseStatus} {r.CloseStatusDescription}";
            }
            // a frame past the cap keeps only its start, for the quarantine; the rest is counted, not held
            total += r.Count;
            var room = (int)Math.Max(0, MaxFrameBytes - message.Length);
            message.Write(buffer, 0, Math.Min(room, r.Count));
            if (!r.EndOfMessage)
            {
                continue;
            }
            if (total > MaxFrameBytes)
            {
                var start = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)Math.Min(8192, message.Length));
                observer.OnNext(new MalformedFrame(start, (int)Math.Min(int.MaxValue, total), $"frame of {total} bytes is over the {MaxFrameBytes / 1024} KiB limit", time.GetUtcNow()));
                message.SetLength(0);
                total = 0;
                continue;
            }
            total = 0;
            string text;
            try
            {
                text = StrictUtf8.GetString(message.GetBuffer(), 0, (int)message.Length);
            }
            catch (DecoderFallbackException)
            {
                text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                observer.OnNext(new MalformedFrame(text.Length > 8192 ? text[..8192] : text, text.Length, "invalid UTF-8", time.GetUtcNow()));
                message.SetLength(0);
                continue;
            }
            message.SetLength(0);
            foreach (var e in NotificationDecoder.Decode(text, time.GetUtcNow()))
            {
                switch (e)
                {
                    case QueueCallChanged q when !q.Disconnected && _calls.TryAdd(q.ConversationId, true):
                        await SendAsync(HttpMethod.Post, $"/api/v2/notifications/channels/{channelId}/subscriptions", Topics([TranscriptionTopic(q.ConversationId)]), ct).ConfigureAwait(false);
                        break;
                    case CallFinished f:
                        _calls.TryRemove(f.ConversationId, out _);
                        observer.OnNext(f);
                        break;
                    case ChannelNotice:
                    case QueueCallChanged:
                        break;
                    default:
                        observer.OnNext(e);
                        break;
                }
            }
        }
    }

    private const int MaxFrameBytes = 1024 * 1024;

    private static string TranscriptionTopic(string conversationId) => $"v2.conversations.{conversationId}.transcription";

    private static JsonArray Topics(IEnumerable<string> topics) => [.. topics.Select(t => (JsonNode)new JsonObject { ["id"] = t })];

    /// <summary>One REST call: a 401 refreshes the token once and retries once; 429 waits Retry-After; 5xx backs off.</summary>
    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        var refreshed = false;
        var delay = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            var token = await _tokens.GetAsync(ct).ConfigureAwait(false);
            using var req = new HttpRequestMessage(method, new Uri(options.Api, path));
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (body is not null)
            {
                req.Content = JsonContent.Create(body);
            }
            using var resp = await http.SendAsync(req, ct).ConfigureAwait(false);
            if (resp.IsSuccessStatusCode)
            {
                return resp.Content.Headers.ContentLength == 0 ? null : await resp.Content.ReadFromJsonAsync<JsonNode>(ct).ConfigureAwait(false);
            }
            if (resp.StatusCode == HttpStatusCode.Unauthorized && !refreshed)
            {
                _tokens.Invalidate(token);
                refreshed = true;
                continue;
            }
            if (resp.StatusCode == HttpStatusCode.Forbidden)
            {
                throw new GenesysAuthException($"Genesys refused {method} {path} (403): the OAuth client lacks a permission such as conversation:transcription:view");
            }
            if (attempt >= 6 || (resp.StatusCode != HttpStatusCode.TooManyRequests && (int)resp.StatusCode < 500))
            {
                throw new HttpRequestException($"{method} {path} failed with {(int)resp.StatusCode}", null, resp.StatusCode);
            }
            var wait = resp.Headers.RetryAfter?.Delta ?? (resp.Headers.RetryAfter?.Date is { } date ? date - time.GetUtcNow() : delay);
            await Task.Delay(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, time, ct).ConfigureAwait(false);
            delay *= 2;
        }
    }
}
