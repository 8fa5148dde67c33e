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
public sealed class NotificationsSource(HttpClient http, GenesysOptions options, TimeProvider time, ILogger log) : ITranscriptSource
{
    private readonly GenesysRest _rest = new(http, options, time);
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
                var channel = await _rest.SendAsync(HttpMethod.Post, "/api/v2/notifications/channels", null, ct).ConfigureAwait(false);
                var channelId = channel!["id"]!.GetValue<string>();
                var connectUri = new Uri(channel["connectUri"]!.GetValue<string>());
                using var ws = new ClientWebSocket();
                await ws.ConnectAsync(connectUri, ct).ConfigureAwait(false);
                await PutSubscriptionsAsync(channelId, ct).ConfigureAwait(false);
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
        var frames = new FrameReader(ws, time);
        var renewAt = time.GetUtcNow() + options.ChannelRenewal;
        while (true)
        {
            Frame frame;
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
            quiet.CancelAfter(options.HeartbeatTimeout);
            try
            {
                frame = await frames.NextAsync(quiet.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return null;
            }
            catch (OperationCanceledException)
            {
                ws.Abort();
                return $"no message or heartbeat for {options.HeartbeatTimeout.TotalSeconds:F0} s";
            }
            if (time.GetUtcNow() >= renewAt)
            {
                // subscribing again extends the channel before its 24 hours run out
                await PutSubscriptionsAsync(channelId, ct).ConfigureAwait(false);
                renewAt = time.GetUtcNow() + options.ChannelRenewal;
            }
            if (frame.Closed)
            {
                return frame.Status == WebSocketCloseStatus.NormalClosure && ct.IsCancellationRequested ? null : frame.Reason;
            }
            if (frame.Bad is { } bad)
            {
                observer.OnNext(bad);
                continue;
            }
            var text = frame.Text!;
            foreach (var e in NotificationDecoder.Decode(text, time.GetUtcNow()))
            {
                switch (e)
                {
                    case QueueCallChanged q when !q.Disconnected && _calls.TryAdd(q.ConversationId, true):
                        await _rest.SendAsync(HttpMethod.Post, $"/api/v2/notifications/channels/{channelId}/subscriptions", Topics([TranscriptionTopic(q.ConversationId)]), ct).ConfigureAwait(false);
                        break;
                    case CallFinished f:
                        observer.OnNext(f);
                        if (_calls.TryRemove(f.ConversationId, out _))
                        {
                            // the call is over: its topic leaves the channel, as Genesys' own blueprint does
                            await PutSubscriptionsAsync(channelId, ct).ConfigureAwait(false);
                        }
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

    private Task PutSubscriptionsAsync(string channelId, CancellationToken ct) =>
        _rest.SendAsync(HttpMethod.Put, $"/api/v2/notifications/channels/{channelId}/subscriptions",
            Topics(options.QueueIds.Select(q => $"v2.routing.queues.{q}.conversations").Concat(_calls.Keys.Select(TranscriptionTopic))), ct);

    private static string TranscriptionTopic(string conversationId) => $"v2.conversations.{conversationId}.transcription";

    private static JsonArray Topics(IEnumerable<string> topics) => [.. topics.Select(t => (JsonNode)new JsonObject { ["id"] = t })];
}
