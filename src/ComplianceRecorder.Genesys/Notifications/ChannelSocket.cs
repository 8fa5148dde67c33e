using System.Net.WebSockets;
using System.Text.Json;
using ComplianceRecorder.Pipeline.Input;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Genesys.Notifications;

/// <summary>
/// One channel's socket: the channel opened (or the last one reused while Genesys keeps it), its
/// subscriptions put, its frames read and decoded, and the socket opened again with backoff when it
/// goes quiet or drops; the time it was down is reported as unheard for the calls it carries.
/// </summary>
internal sealed class ChannelSocket(
    GenesysRest rest, GenesysOptions options, TimeProvider time, ChannelPlacement placement, SubscriptionChanges changes, SilenceWatch silence, ILogger log)
{
    private long _unknownTopics;

    /// <summary>Messages on topics this client does not follow (presence, queue membership, …): ignored, counted here.</summary>
    public long UnknownTopics => Interlocked.Read(ref _unknownTopics);

    public async Task RunAsync(NotificationChannel channel, SourceEmitter observer, Action<NotificationChannel> start, CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        DateTimeOffset? downSince = null;
        var downReason = "";
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var (channelId, connectUri) = await OpenAsync(channel, ct).ConfigureAwait(false);
                using var ws = new ClientWebSocket();
                await ws.ConnectAsync(connectUri, ct).ConfigureAwait(false);
                await changes.PutAllAsync(channel, channelId, observer, ct).ConfigureAwait(false);
                channel.Connected = true;
                if (downSince is { } from)
                {
                    placement.Unheard(channel, time.GetUtcNow() - from);
                    string[] down = [.. channel.Calls.Keys];
                    foreach (var call in down)
                    {
                        // the disconnection may be the first the pipeline hears of a call: it starts the call's group
                        await placement.HandOverAnnouncementAsync(call, observer, ct).ConfigureAwait(false);
                    }
                    await observer.NextAsync(new SourceDisconnected(down, from, downReason, time.GetUtcNow()), ct).ConfigureAwait(false);
                    downSince = null;
                }
                backoff = TimeSpan.FromMilliseconds(200);
                GenesysLog.ChannelConnected(log, channel.Index, channelId, channel.Calls.Count);
                string? reason;
                using (var renewing = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    var renewal = Task.WhenAll(
                        changes.RenewAsync(channel, channelId, renewing.Token),
                        changes.SendAsync(channel, channelId, observer, renewing.Token),
                        silence.WatchAsync(channel, observer, renewing.Token));
                    reason = await ReceiveAsync(ws, channel, observer, start, ct).ConfigureAwait(false);
                    await renewing.CancelAsync().ConfigureAwait(false);
                    await renewal.ConfigureAwait(false);
                }
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
            catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException or JsonException or OperationCanceledException or Polly.Timeout.TimeoutRejectedException)
            {
                downReason = e.GetType().Name + ": " + e.Message;
            }
            channel.ChannelId = null;
            channel.Connected = false;
            downSince ??= time.GetUtcNow();
            Interlocked.Increment(ref channel.Reconnects);
            GenesysLog.ChannelDown(log, channel.Index, downReason, backoff.TotalMilliseconds);
            try
            {
                await Task.Delay(backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(50)), time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 10_000));
        }
        channel.ChannelId = null;
        channel.Connected = false;
    }

    private async Task<(string Id, Uri ConnectUri)> OpenAsync(NotificationChannel channel, CancellationToken ct)
    {
        if (channel.Last is { } last)
        {
            try
            {
                await rest.SendAsync(HttpMethod.Head, $"/api/v2/notifications/channels/{last.Id}", null, ct).ConfigureAwait(false);
                return last;
            }
            catch (HttpRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                GenesysLog.ChannelExpired(log, channel.Index, last.Id);
            }
        }
        var created = await rest.SendAsync(HttpMethod.Post, "/api/v2/notifications/channels", null, ct).ConfigureAwait(false);
        var opened = (created!["id"]!.GetValue<string>(), new Uri(created["connectUri"]!.GetValue<string>()));
        channel.Last = opened;
        return opened;
    }

    /// <returns>null on a deliberate close; otherwise why the socket went away.</returns>
    private async Task<string?> ReceiveAsync(ClientWebSocket ws, NotificationChannel channel, SourceEmitter observer, Action<NotificationChannel> start, CancellationToken ct)
    {
        var frames = new FrameReader(ws, time);
        using var closing = new ClosingOnStop(ws, ct);
        while (true)
        {
            Frame frame;
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(closing.Receive);
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
            if (frame.Closed || ct.IsCancellationRequested)
            {
                // our own close answered (or a frame read after the stop): a deliberate end
                return ct.IsCancellationRequested ? null : frame.Reason;
            }
            if (frame.Bad is { } bad)
            {
                await observer.NextAsync(bad, ct).ConfigureAwait(false);
                continue;
            }
            foreach (var e in NotificationDecoder.Decode(frame.Text!, time.GetUtcNow()))
            {
                switch (e)
                {
                    case QueueCallChanged q when !q.Disconnected && !placement.Known(q.ConversationId):
                        placement.Announce(q);
                        await placement.FollowAsync(q.ConversationId, observer, start, ct).ConfigureAwait(false);
                        break;
                    case CallFinished f:
                        await placement.FinishAsync(f, channel, observer, ct).ConfigureAwait(false);
                        break;
                    case QueueCallChanged { Disconnected: true } q when placement.Follows(q.ConversationId):
                        // the call hung up and its SESSION_ENDED never came (lost, or transcription stopped first)
                        await placement.FinishAsync(new CallFinished(q.ConversationId, "the call disconnected", q.ReceivedAt), channel, observer, ct).ConfigureAwait(false);
                        break;
                    case QueueCallChanged { Disconnected: true } q when placement.Known(q.ConversationId):
                        // another instance's call hung up
                        placement.Forget(q.ConversationId);
                        break;
                    case UnknownTopic:
                        Interlocked.Increment(ref _unknownTopics);
                        break;
                    case QueueCallChanged q when !q.Disconnected:
                        // the agent may be named only once the call leaves the queue
                        placement.Announce(q, pendingOnly: true);
                        break;
                    case ChannelNotice:
                    case QueueCallChanged:
                        break;
                    case TranscriptReceived t:
                        placement.Heard(t.ConversationId);
                        await placement.HandOverAnnouncementAsync(t.ConversationId, observer, ct).ConfigureAwait(false);
                        await observer.NextAsync(t, ct).ConfigureAwait(false);
                        break;
                    default:
                        await observer.NextAsync(e, ct).ConfigureAwait(false);
                        break;
                }
            }
        }
    }
}
