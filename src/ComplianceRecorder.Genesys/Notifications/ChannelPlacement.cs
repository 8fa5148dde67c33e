using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ComplianceRecorder.Pipeline.Input;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Genesys.Notifications;

/// <summary>Where a call was put: its channel, that channel's id if it was connected then, and channels opened for it.</summary>
internal readonly record struct Placement(NotificationChannel? Channel, string? ChannelId, List<NotificationChannel> Opened);

/// <summary>
/// Which channel carries which call. Followed calls are spread over channels of at most
/// <see cref="GenesysOptions.TopicsPerChannel"/> topics, each call on exactly one channel (two sockets
/// on one call would interleave its stream and defeat gap detection); a call is known from when it is
/// found until it is over, with when it was last heard and whether Genesys has accepted its topic yet.
/// </summary>
internal sealed class ChannelPlacement(GenesysOptions options, TimeProvider time, ILogger log, ICallGate? gate = null)
{
    private readonly Lock _gate = new();
    private readonly List<NotificationChannel> _channels = [];
    private readonly ConcurrentDictionary<string, NotificationChannel> _calls = new();

    /// <summary>Calls placed on a channel whose topic Genesys has not accepted yet, with when each was found.</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _unsubscribed = new();

    /// <summary>When each followed call was last heard, as timestamps of <see cref="TimeProvider"/>.</summary>
    private readonly ConcurrentDictionary<string, long> _heard = new();
    // who each followed call is with, until it is handed to the pipeline with the call's first event
    private readonly ConcurrentDictionary<string, CallAnnounced> _announced = new();

    // calls another recorder instance follows (#15): not claimed again at each of their queue events
    private readonly ConcurrentDictionary<string, bool> _elsewhere = new();

    // calls this instance heard end, with when: while their end is not durable yet (the store is slow or down) the
    // store still names this instance their holder, and taking them over again would record their end again, each
    // time after a "never subscribed" gap that is false
    private readonly ConcurrentDictionary<string, long> _finished = new();
    private static readonly TimeSpan FinishedKept = TimeSpan.FromMinutes(30);
    private long _finishedSwept;

    // calls found here whose claim is under way: the store may name this instance before they are placed
    private readonly ConcurrentDictionary<string, bool> _claiming = new();

    public bool Follows(string conversationId) => _calls.ContainsKey(conversationId);

    public IReadOnlyCollection<string> Followed => [.. _calls.Keys];

    /// <summary>Followed here, or known to be another instance's.</summary>
    public bool Known(string conversationId) => _calls.ContainsKey(conversationId) || _elsewhere.ContainsKey(conversationId);

    /// <summary>
    /// Followed, being placed after its claim, or heard end here within the last half hour: a call the store names
    /// this instance the holder of, which it need not take over.
    /// </summary>
    public bool Holds(string conversationId) =>
        _calls.ContainsKey(conversationId) || _claiming.ContainsKey(conversationId)
        || (_finished.TryGetValue(conversationId, out var at) && time.GetElapsedTime(at) <= FinishedKept);

    /// <summary>The call ended, or this instance takes it over: no longer another's.</summary>
    public void Forget(string conversationId) => _elsewhere.TryRemove(conversationId, out _);

    public bool Connected
    {
        get
        {
            lock (_gate)
            {
                return _channels.Count > 0 && _channels.TrueForAll(l => l.Connected);
            }
        }
    }

    public int Reconnects
    {
        get
        {
            lock (_gate)
            {
                return _channels.Sum(l => l.Reconnects);
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _channels.Count;
            }
        }
    }

    /// <summary>The first channel, which also listens for new calls; opened before any call is placed.</summary>
    public void OpenFirst()
    {
        lock (_gate)
        {
            _channels.Add(new NotificationChannel(0));
        }
    }

    public NotificationChannel[] All()
    {
        lock (_gate)
        {
            return [.. _channels];
        }
    }

    /// <summary>
    /// Puts a call on the first channel with room, opening another when all are full. When it takes the
    /// last room, a spare channel is opened at once, so the next call does not wait for one to connect.
    /// </summary>
    public Placement Assign(string call)
    {
        var opened = new List<NotificationChannel>();
        lock (_gate)
        {
            if (_calls.TryGetValue(call, out var existing))
            {
                return new Placement(existing, null, opened);
            }
            var channel = _channels.Find(HasRoom) ?? Open(opened);
            if (channel is not null)
            {
                channel.Calls[call] = true;
                _calls[call] = channel;
                _heard[call] = time.GetTimestamp();
                _unsubscribed[call] = time.GetUtcNow();
                if (!_channels.Exists(HasRoom))
                {
                    Open(opened);
                }
                return new Placement(channel, channel.ChannelId, opened);
            }
        }
        return new Placement(null, null, opened);
    }

    /// <summary>A call found on a queue or an agent: placed, and its topic queued for its channel's sender.</summary>
    public async ValueTask FollowAsync(string call, SourceEmitter observer, Action<NotificationChannel> start, CancellationToken ct, bool claimed = false)
    {
        Placement placement;
        if (!claimed && gate is not null)
        {
            // from the claim until the call is placed, a claim pass that names this instance is not a takeover
            _claiming[call] = true;
            try
            {
                if (await ClaimAsync(call, observer, ct).ConfigureAwait(false) is not CallTaking.Follow)
                {
                    return;
                }
                placement = Assign(call);
            }
            finally
            {
                _claiming.TryRemove(call, out _);
            }
        }
        else
        {
            placement = Assign(call);
        }
        if (placement.Channel is null)
        {
            await NotFollowedAsync(call, observer, ct).ConfigureAwait(false);
        }
        foreach (var channel in placement.Opened)
        {
            GenesysLog.OpeningChannel(log, channel.Index, options.TopicsPerChannel);
            start(channel);
        }
        if (placement is { Channel: { } on, ChannelId: not null })
        {
            on.Added.Enqueue(call);
            on.Changed.Release();
        }
    }

    /// <summary>
    /// Keeps what a queue or agent event says of a call's queue and agent: the queue when it names one, and the
    /// agent whole (id and name from one participant), so after a transfer they never name two people; with
    /// <paramref name="pendingOnly"/>, only while the call's announcement is not handed over yet.
    /// </summary>
    public void Announce(QueueCallChanged q, bool pendingOnly = false)
    {
        if ((q.QueueId is null && q.AgentId is null && q.AgentName is null) || (pendingOnly && !_announced.ContainsKey(q.ConversationId)))
        {
            return;
        }
        _announced.AddOrUpdate(q.ConversationId,
            _ => new CallAnnounced(q.ConversationId, q.QueueId, q.AgentId, q.AgentName, q.ReceivedAt),
            (_, a) => q.AgentId is null && q.AgentName is null
                ? a with { QueueId = q.QueueId ?? a.QueueId }
                : a with { QueueId = q.QueueId ?? a.QueueId, AgentId = q.AgentId, AgentName = q.AgentName });
    }

    /// <summary>The call's announcement, once, just before its first event: the pipeline names the call with it.</summary>
    public async ValueTask HandOverAnnouncementAsync(string call, SourceEmitter observer, CancellationToken ct)
    {
        if (_announced.TryRemove(call, out var a))
        {
            await observer.NextAsync(a, ct).ConfigureAwait(false);
        }
    }

    /// <summary>A call no channel could take: known, and not heard. An auditor sees it as a recorded gap, not as silence.</summary>
    public async ValueTask NotFollowedAsync(string call, SourceEmitter observer, CancellationToken ct, string reason = "not followed: every channel allowed is full")
    {
        await HandOverAnnouncementAsync(call, observer, ct).ConfigureAwait(false);
        GenesysLog.CannotFollow(log, call, options.MaxChannels, options.TopicsPerChannel);
        var now = time.GetUtcNow();
        await observer.NextAsync(new SourceDisconnected([call], now, reason, now), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks the gate whether this instance follows the call. A gate that cannot answer (the store is down) is
    /// answered by following: two recorders on one call cost a duplicate the store skips, none costs the call.
    /// </summary>
    private async ValueTask<CallTaking> ClaimAsync(string call, SourceEmitter observer, CancellationToken ct)
    {
        CallTaking taking;
        try
        {
            taking = await gate!.ClaimAsync(call, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            GenesysLog.ClaimFailed(log, call, e.Message);
            return CallTaking.Follow;
        }
        if (taking is not CallTaking.Follow)
        {
            _elsewhere[call] = true;
        }
        if (taking is CallTaking.Elsewhere)
        {
            // the announcement of a call another instance records is not this pipeline's to hand on
            _announced.TryRemove(call, out _);
        }
        else if (taking is CallTaking.Unfollowable)
        {
            await NotFollowedAsync(call, observer, ct, "not followed: no recorder instance sharing this OAuth client has room for it").ConfigureAwait(false);
        }
        return taking;
    }

    /// <summary>
    /// The call is over. If it was never subscribed, all of it went unheard: that gap goes first, since
    /// nothing of a call is recorded after its end.
    /// </summary>
    public async ValueTask FinishAsync(CallFinished f, NotificationChannel on, SourceEmitter observer, CancellationToken ct)
    {
        await HandOverAnnouncementAsync(f.ConversationId, observer, ct).ConfigureAwait(false);
        if (_unsubscribed.TryRemove(f.ConversationId, out var found))
        {
            var channel = _calls.TryGetValue(f.ConversationId, out var carrier) ? carrier : on;
            await observer.NextAsync(new SourceDisconnected([f.ConversationId], found,
                $"never subscribed before the call ended: {channel.Failure}", f.ReceivedAt), ct).ConfigureAwait(false);
        }
        await observer.NextAsync(f, ct).ConfigureAwait(false);
        // remembered before it leaves: a claim pass asks whether it is followed, then whether it ended
        Remember(f.ConversationId);
        Leave(f.ConversationId);
    }

    /// <summary>Genesys accepted the call's topic: when it was found, if it had been waiting.</summary>
    public bool TryTakeUnsubscribed(string call, out DateTimeOffset found) => _unsubscribed.TryRemove(call, out found);

    public void Heard(string call) => _heard[call] = time.GetTimestamp();

    /// <summary>Time with the socket down was unheard, not silent: it does not count towards letting a call go.</summary>
    public void Unheard(NotificationChannel channel, TimeSpan down)
    {
        var unheard = (long)(down.TotalSeconds * time.TimestampFrequency);
        foreach (var call in channel.Calls.Keys)
        {
            _heard.AddOrUpdate(call, time.GetTimestamp(), (_, at) => at + unheard);
        }
    }

    /// <summary>Whether the call has been silent for at least <paramref name="silence"/>.</summary>
    public bool SilentFor(string call, TimeSpan silence) => _heard.TryGetValue(call, out var at) && time.GetElapsedTime(at) >= silence;

    /// <summary>The channel's socket is open on <paramref name="channelId"/>: the list of topics to put on it.</summary>
    public JsonArray Connecting(NotificationChannel channel, string channelId)
    {
        lock (_gate)
        {
            // a call placed from now on sees the id and posts its own topic; one placed before is in this list
            channel.ChannelId = channelId;
            return SubscriptionList(channel);
        }
    }

    public JsonArray SubscriptionList(NotificationChannel channel) =>
        Topics.Body(FixedTopics(channel).Concat(channel.Calls.Keys.Select(Topics.Transcription)));

    /// <summary>Keeps the call's end, and lets go of ends older than <see cref="FinishedKept"/> (a store down longer keeps its calls named here).</summary>
    private void Remember(string call)
    {
        var now = time.GetTimestamp();
        _finished[call] = now;
        // swept once a minute, not at every end: a busy center ends calls by the thousand
        var swept = Interlocked.Read(ref _finishedSwept);
        if (time.GetElapsedTime(swept, now) < TimeSpan.FromMinutes(1) || Interlocked.CompareExchange(ref _finishedSwept, now, swept) != swept)
        {
            return;
        }
        foreach (var (old, at) in _finished)
        {
            if (time.GetElapsedTime(at, now) > FinishedKept)
            {
                // only that end: the call may have been remembered again meanwhile
                _finished.TryRemove(KeyValuePair.Create(old, at));
            }
        }
    }

    /// <summary>The call is over: its topic leaves its channel, as Genesys' own blueprint does.</summary>
    private void Leave(string call)
    {
        if (!_calls.TryRemove(call, out var channel))
        {
            return;
        }
        channel.Calls.TryRemove(call, out _);
        _heard.TryRemove(call, out _);
        channel.Removed = true;
        channel.Changed.Release();
    }

    private bool HasRoom(NotificationChannel channel) => channel.Calls.Count + FixedTopics(channel).Count() < options.TopicsPerChannel;

    /// <summary>A new channel, unless the limit is reached. Called under the gate.</summary>
    private NotificationChannel? Open(List<NotificationChannel> opened)
    {
        if (_channels.Count >= options.MaxChannels)
        {
            return null;
        }
        var channel = new NotificationChannel(_channels.Count);
        _channels.Add(channel);
        opened.Add(channel);
        return channel;
    }

    /// <summary>The first channel also listens for new calls, on queues and on agents.</summary>
    private IEnumerable<string> FixedTopics(NotificationChannel channel) => channel.Index != 0 ? [] :
        options.QueueIds.Select(Topics.Queue).Concat(options.UserIds.Select(Topics.User));
}
