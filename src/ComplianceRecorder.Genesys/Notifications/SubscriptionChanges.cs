using System.Text.Json.Nodes;
using ComplianceRecorder.Pipeline.Input;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Genesys.Notifications;

/// <summary>
/// A channel's subscriptions as Genesys holds them: the whole list put when its socket opens, new
/// calls' topics added, ended calls' topics taken away, and the list put again before the channel's
/// 24 hours run out. A call that waited too long for its topic is recorded as unheard meanwhile.
/// </summary>
internal sealed class SubscriptionChanges
{
    private readonly GenesysRest _rest;
    private readonly GenesysOptions _options;
    private readonly TimeProvider _time;
    private readonly ChannelPlacement _placement;
    private readonly ILogger _log;
    private readonly TimeSpan _subscribeWithin;

    public SubscriptionChanges(GenesysRest rest, GenesysOptions options, TimeProvider time, ChannelPlacement placement, ILogger log)
    {
        _subscribeWithin = options.SubscribeWithin > TimeSpan.Zero ? options.SubscribeWithin
            : throw new ArgumentOutOfRangeException(nameof(options), "Genesys:SubscribeWithinSeconds must be positive");
        _rest = rest;
        _options = options;
        _time = time;
        _placement = placement;
        _log = log;
    }

    /// <summary>Puts the channel's whole list as its socket opens, and records the calls that waited too long for it.</summary>
    public async Task PutAllAsync(NotificationChannel channel, string channelId, SourceEmitter observer, CancellationToken ct)
    {
        var subscriptions = _placement.Connecting(channel, channelId);
        await _rest.SendAsync(HttpMethod.Put, Topics.Subscriptions(channelId), subscriptions, ct).ConfigureAwait(false);
        await SubscribedAsync(channel.Calls.Keys, channel, observer, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Subscribing again extends a channel before its 24 hours run out. On a timer of its own, since a
    /// quiet channel hears nothing that could remind it; a failure is left to the socket's reconnect.
    /// </summary>
    public async Task RenewAsync(NotificationChannel channel, string channelId, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_options.ChannelRenewal, _time, ct).ConfigureAwait(false);
                await OnOtherChannelAsync(channel, HttpMethod.Put, channelId, _placement.SubscriptionList(channel), ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Sends a channel's subscription changes, batched: whatever was asked within a short wait, or while
    /// the last request was on its way, goes in the next one (Genesys allows a client 300 requests a minute, and a busy queue
    /// starts and ends calls faster than that). An addition is a POST of the new topics; a removal
    /// puts the whole list. The socket's reader never waits on REST. A change that fails (429s or 5xx
    /// past the retries, a timeout) is sent again after a growing wait, with whatever was asked
    /// meanwhile: the sender ends only with its socket.
    /// </summary>
    public async Task SendAsync(NotificationChannel channel, string channelId, SourceEmitter observer, CancellationToken ct)
    {
        var added = new List<string>();
        var failures = 0;
        try
        {
            while (true)
            {
                if (failures == 0)
                {
                    await channel.Changed.WaitAsync(ct).ConfigureAwait(false);
                    // a moment's wait gathers a burst of new calls into one request
                    await Task.Delay(_options.SubscriptionBatch, _time, ct).ConfigureAwait(false);
                }
                else
                {
                    var wait = Math.Min(_options.RetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16)), 10_000);
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), _time, ct).ConfigureAwait(false);
                }
                while (channel.Changed.CurrentCount > 0)
                {
                    await channel.Changed.WaitAsync(ct).ConfigureAwait(false);
                }
                while (channel.Added.TryDequeue(out var call))
                {
                    added.Add(call);
                }
                // a call that ended while its topic waited is not subscribed after all
                added.RemoveAll(c => !channel.Calls.ContainsKey(c));
                var replace = channel.Removed;
                channel.Removed = false;
                try
                {
                    if (replace)
                    {
                        await _rest.SendAsync(HttpMethod.Put, Topics.Subscriptions(channelId), _placement.SubscriptionList(channel), ct).ConfigureAwait(false);
                        await SubscribedAsync(channel.Calls.Keys, channel, observer, ct).ConfigureAwait(false);
                    }
                    else if (added.Count > 0)
                    {
                        await _rest.SendAsync(HttpMethod.Post, Topics.Subscriptions(channelId), Topics.Body(added.Select(Topics.Transcription)), ct).ConfigureAwait(false);
                        await SubscribedAsync(added, channel, observer, ct).ConfigureAwait(false);
                    }
                    added.Clear();
                    failures = 0;
                }
                catch (Exception e) when (IsTransient(e, ct))
                {
                    channel.Removed |= replace;
                    failures++;
                    channel.LastFailure = e.GetType().Name + ": " + e.Message;
                    GenesysLog.ChangeFailedRetrying(_log, channel.Index, channel.LastFailure);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Genesys accepted these calls' topics. One that waited longer than <see cref="GenesysOptions.SubscribeWithin"/>
    /// is recorded as unheard from when it was found until now, once.
    /// </summary>
    private async ValueTask SubscribedAsync(IEnumerable<string> calls, NotificationChannel channel, SourceEmitter observer, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        foreach (var call in calls)
        {
            if (_placement.TryTakeUnsubscribed(call, out var found) && now - found > _subscribeWithin)
            {
                GenesysLog.SubscribedLate(_log, call, (now - found).TotalSeconds);
                // the gap may be the first the pipeline hears of the call: it starts the call's group, named
                await _placement.HandOverAnnouncementAsync(call, observer, ct).ConfigureAwait(false);
                await observer.NextAsync(new SourceDisconnected([call], found,
                    $"not subscribed until {(now - found).TotalSeconds:F1} s after the call was found: {channel.Failure}", now), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>What a retry may outlast: anything but a cancellation of our own, or credentials and permissions.</summary>
    private static bool IsTransient(Exception e, CancellationToken ct) =>
        e is not GenesysAuthException && !(e is OperationCanceledException && ct.IsCancellationRequested);

    /// <summary>
    /// Changes a channel's subscriptions from whichever socket heard the news. A failure there is
    /// that channel's business (its reconnect puts the whole list again), not this socket's.
    /// </summary>
    private async Task OnOtherChannelAsync(NotificationChannel channel, HttpMethod method, string channelId, JsonArray topics, CancellationToken ct)
    {
        try
        {
            await _rest.SendAsync(method, Topics.Subscriptions(channelId), topics, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsTransient(e, ct))
        {
            GenesysLog.ChangeFailedLeftToReconnect(_log, channel.Index, e.Message);
        }
    }
}
