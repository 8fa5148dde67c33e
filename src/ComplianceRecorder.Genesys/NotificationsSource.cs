using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Reactive;
using System.Reactive.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComplianceRecorder.Pipeline.Input;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Genesys;

/// <summary>
/// The Notifications API as one observable of decoded transcript events. Followed calls are spread
/// over channels of at most <see cref="GenesysOptions.TopicsPerChannel"/> topics, each call on exactly
/// one channel (two sockets on one call would interleave its stream and defeat gap detection). Queue
/// and agent topics find new calls. Each channel reconnects on its own with backoff and reports how
/// long its calls went unheard.
/// </summary>
public sealed class NotificationsSource(HttpClient http, GenesysOptions options, TimeProvider time, ILogger log) : ITranscriptSource
{
    private readonly GenesysRest _rest = new(http, options, time);

    private readonly TimeSpan _subscribeWithin = options.SubscribeWithin > TimeSpan.Zero ? options.SubscribeWithin
        : throw new ArgumentOutOfRangeException(nameof(options), "Genesys:SubscribeWithinSeconds must be positive");

    /// <summary>Calls placed on a channel whose topic Genesys has not accepted yet, with when each was found.</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _unsubscribed = new();
    private readonly Lock _gate = new();
    private readonly List<Link> _links = [];
    private readonly ConcurrentDictionary<string, Link> _calls = new();

    /// <summary>When each followed call was last heard, as timestamps of <see cref="TimeProvider"/>.</summary>
    private readonly ConcurrentDictionary<string, long> _heard = new();

    /// <summary>One channel and its socket, and the calls it carries.</summary>
    private sealed class Link(int index)
    {
        public int Index { get; } = index;

        public ConcurrentDictionary<string, bool> Calls { get; } = new();

        /// <summary>Set while the channel's socket is open; subscribing on it meanwhile goes straight to Genesys.</summary>
        public volatile string? ChannelId;

        public volatile bool Connected;

        public int Reconnects;

        public Task Loop { get; set; } = Task.CompletedTask;

        /// <summary>Calls whose topics are to be added, and whether any left: sent by the channel's own sender, many at a time.</summary>
        public ConcurrentQueue<string> Added { get; } = new();

        /// <summary>Why the last subscription change failed, for the gap it leaves.</summary>
        public volatile string LastFailure = "";

        public volatile bool Removed;

        public SemaphoreSlim Changed { get; } = new(0);

        /// <summary>The channel last used, reconnected to while Genesys still has it (channels count against a limit of 20).</summary>
        public (string Id, Uri ConnectUri)? Last { get; set; }
    }

    private long _unknownTopics;

    public GenesysRest Rest => _rest;

    /// <summary>Whether a call is followed (placed on a channel) now.</summary>
    public bool Follows(string conversationId) => _calls.ContainsKey(conversationId);

    /// <summary>Messages on topics this client does not follow (presence, queue membership, …): ignored, counted here.</summary>
    public long UnknownTopics => Interlocked.Read(ref _unknownTopics);

    public bool Connected
    {
        get
        {
            lock (_gate)
            {
                return _links.Count > 0 && _links.TrueForAll(l => l.Connected);
            }
        }
    }

    public int Reconnects
    {
        get
        {
            lock (_gate)
            {
                return _links.Sum(l => l.Reconnects);
            }
        }
    }

    /// <summary>Channels open or being opened.</summary>
    public int Channels
    {
        get
        {
            lock (_gate)
            {
                return _links.Count;
            }
        }
    }

    public IObservable<SourceEvent> Events() =>
        Observable.Create<SourceEvent>((observer, ct) => RunAsync(new Emitter(observer), ct));

    /// <summary>
    /// One event at a time into the pipeline, from every channel's reader. The wait is asynchronous:
    /// while the pipeline holds a reader back (the commit queue is full), the other readers wait
    /// without blocking threads, so the committer that would free the queue still gets one.
    /// </summary>
    private sealed class Emitter(IObserver<SourceEvent> observer)
    {
        private readonly SemaphoreSlim _gate = new(1, 1);

        public async ValueTask NextAsync(SourceEvent e, CancellationToken ct)
        {
            await _gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                observer.OnNext(e);
            }
            finally
            {
                _gate.Release();
            }
        }

        public async Task EndAsync(Exception? error)
        {
            await _gate.WaitAsync().ConfigureAwait(false);
            if (error is null)
            {
                observer.OnCompleted();
            }
            else
            {
                observer.OnError(error);
            }
        }
    }

    private async Task RunAsync(Emitter observer, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Exception? fatal = null;
        void Start(Link link) => link.Loop = Task.Run(async () =>
        {
            try
            {
                await RunLinkAsync(link, observer, Start, stop.Token).ConfigureAwait(false);
            }
            catch (GenesysAuthException e)
            {
                // credentials or permissions: no channel can work, so the whole source fails with the reason
                Interlocked.CompareExchange(ref fatal, e, null);
                await stop.CancelAsync().ConfigureAwait(false);
            }
        });

        lock (_gate)
        {
            _links.Add(new Link(0));
        }
        foreach (var id in options.ConversationIds)
        {
            if (Assign(id).Link is null)
            {
                await NotFollowedAsync(id, observer, ct).ConfigureAwait(false);
            }
        }
        List<Link> initial;
        lock (_gate)
        {
            initial = [.. _links];
        }
        initial.ForEach(Start);
        await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        Task[] loops;
        lock (_gate)
        {
            loops = [.. _links.Select(l => l.Loop)];
        }
        await Task.WhenAll(loops).ConfigureAwait(false);
        await observer.EndAsync(fatal).ConfigureAwait(false);
    }

    /// <summary>Where a call was put: its channel, that channel's id if it was connected then, and channels opened for it.</summary>
    private readonly record struct Placement(Link? Link, string? ChannelId, List<Link> Opened);

    /// <summary>A call no channel could take: known, and not heard. An auditor sees it as a recorded gap, not as silence.</summary>
    private async ValueTask NotFollowedAsync(string call, Emitter observer, CancellationToken ct)
    {
        log.LogError("Cannot follow call {Call}: all {Channels} channels carry {Topics} topics", call, options.MaxChannels, options.TopicsPerChannel);
        var now = time.GetUtcNow();
        await observer.NextAsync(new SourceDisconnected([call], now, "not followed: every channel allowed is full", now), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Puts a call on the first channel with room, opening another when all are full. When it takes the
    /// last room, a spare channel is opened at once, so the next call does not wait for one to connect.
    /// </summary>
    private Placement Assign(string call)
    {
        var opened = new List<Link>();
        lock (_gate)
        {
            if (_calls.TryGetValue(call, out var existing))
            {
                return new Placement(existing, null, opened);
            }
            var link = _links.Find(HasRoom) ?? Open(opened);
            if (link is not null)
            {
                link.Calls[call] = true;
                _calls[call] = link;
                _heard[call] = time.GetTimestamp();
                _unsubscribed[call] = time.GetUtcNow();
                if (!_links.Exists(HasRoom))
                {
                    Open(opened);
                }
                return new Placement(link, link.ChannelId, opened);
            }
        }
        return new Placement(null, null, opened);
    }

    private bool HasRoom(Link link) => link.Calls.Count + FixedTopics(link).Count() < options.TopicsPerChannel;

    /// <summary>A new channel, unless the limit is reached. Called under the gate.</summary>
    private Link? Open(List<Link> opened)
    {
        if (_links.Count >= options.MaxChannels)
        {
            return null;
        }
        var link = new Link(_links.Count);
        _links.Add(link);
        opened.Add(link);
        return link;
    }

    private async Task RunLinkAsync(Link link, Emitter observer, Action<Link> start, CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        DateTimeOffset? downSince = null;
        var downReason = "";
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var (channelId, connectUri) = await ChannelAsync(link, ct).ConfigureAwait(false);
                using var ws = new ClientWebSocket();
                await ws.ConnectAsync(connectUri, ct).ConfigureAwait(false);
                JsonArray subscriptions;
                lock (_gate)
                {
                    // a call placed from now on sees the id and posts its own topic; one placed before is in this list
                    link.ChannelId = channelId;
                    subscriptions = SubscriptionList(link);
                }
                await _rest.SendAsync(HttpMethod.Put, $"/api/v2/notifications/channels/{channelId}/subscriptions", subscriptions, ct).ConfigureAwait(false);
                await SubscribedAsync(link.Calls.Keys, link, observer, ct).ConfigureAwait(false);
                link.Connected = true;
                if (downSince is { } from)
                {
                    // time with the socket down was unheard, not silent: it does not count towards letting a call go
                    var unheard = (long)((time.GetUtcNow() - from).TotalSeconds * time.TimestampFrequency);
                    foreach (var call in link.Calls.Keys)
                    {
                        _heard.AddOrUpdate(call, time.GetTimestamp(), (_, at) => at + unheard);
                    }
                    await observer.NextAsync(new SourceDisconnected([.. link.Calls.Keys], from, downReason, time.GetUtcNow()), ct).ConfigureAwait(false);
                    downSince = null;
                }
                backoff = TimeSpan.FromMilliseconds(200);
                log.LogInformation("Genesys channel {Index} ({Channel}) connected, following {Calls} calls", link.Index, channelId, link.Calls.Count);
                string? reason;
                using (var renewing = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    var renewal = Task.WhenAll(
                        RenewAsync(link, channelId, renewing.Token),
                        SendChangesAsync(link, channelId, observer, renewing.Token),
                        ForgetSilentCallsAsync(link, observer, renewing.Token));
                    reason = await ReceiveAsync(ws, link, observer, start, ct).ConfigureAwait(false);
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
            link.ChannelId = null;
            link.Connected = false;
            downSince ??= time.GetUtcNow();
            Interlocked.Increment(ref link.Reconnects);
            log.LogWarning("Genesys channel {Index} down ({Reason}); reconnecting in {Delay} ms", link.Index, downReason, backoff.TotalMilliseconds);
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
        link.ChannelId = null;
        link.Connected = false;
    }

    private async Task<(string Id, Uri ConnectUri)> ChannelAsync(Link link, CancellationToken ct)
    {
        if (link.Last is { } last)
        {
            try
            {
                await _rest.SendAsync(HttpMethod.Head, $"/api/v2/notifications/channels/{last.Id}", null, ct).ConfigureAwait(false);
                return last;
            }
            catch (HttpRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                log.LogInformation("Genesys channel {Index} ({Channel}) has expired; opening a new one", link.Index, last.Id);
            }
        }
        var channel = await _rest.SendAsync(HttpMethod.Post, "/api/v2/notifications/channels", null, ct).ConfigureAwait(false);
        var opened = (channel!["id"]!.GetValue<string>(), new Uri(channel["connectUri"]!.GetValue<string>()));
        link.Last = opened;
        return opened;
    }

    /// <summary>
    /// Subscribing again extends a channel before its 24 hours run out. On a timer of its own, since a
    /// quiet channel hears nothing that could remind it; a failure is left to the socket's reconnect.
    /// </summary>
    private async Task RenewAsync(Link link, string channelId, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(options.ChannelRenewal, time, ct).ConfigureAwait(false);
                await OnOtherChannelAsync(link, HttpMethod.Put, channelId, SubscriptionList(link), ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Calls on this channel silent past <see cref="GenesysOptions.CallSilence"/> are finished and left.</summary>
    private async Task ForgetSilentCallsAsync(Link link, Emitter observer, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(options.CallSilence / 4, time, ct).ConfigureAwait(false);
                foreach (var call in link.Calls.Keys)
                {
                    if (_heard.TryGetValue(call, out var at) && time.GetElapsedTime(at) >= options.CallSilence)
                    {
                        await FinishAsync(new CallFinished(call, $"nothing heard for {options.CallSilence.TotalSeconds:F0} s: the call's end was not heard", time.GetUtcNow()), link, observer, ct).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <returns>null on a deliberate close; otherwise why the socket went away.</returns>
    private async Task<string?> ReceiveAsync(ClientWebSocket ws, Link link, Emitter observer, Action<Link> start, CancellationToken ct)
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
                    case QueueCallChanged q when !q.Disconnected && !_calls.ContainsKey(q.ConversationId):
                        await FollowAsync(q.ConversationId, observer, start, ct).ConfigureAwait(false);
                        break;
                    case CallFinished f:
                        await FinishAsync(f, link, observer, ct).ConfigureAwait(false);
                        break;
                    case QueueCallChanged { Disconnected: true } q when _calls.ContainsKey(q.ConversationId):
                        // the call hung up and its SESSION_ENDED never came (lost, or transcription stopped first)
                        await FinishAsync(new CallFinished(q.ConversationId, "the call disconnected", q.ReceivedAt), link, observer, ct).ConfigureAwait(false);
                        break;
                    case UnknownTopic:
                        Interlocked.Increment(ref _unknownTopics);
                        break;
                    case ChannelNotice:
                    case QueueCallChanged:
                        break;
                    case TranscriptReceived t:
                        _heard[t.ConversationId] = time.GetTimestamp();
                        await observer.NextAsync(t, ct).ConfigureAwait(false);
                        break;
                    default:
                        await observer.NextAsync(e, ct).ConfigureAwait(false);
                        break;
                }
            }
        }
    }

    private async ValueTask FollowAsync(string call, Emitter observer, Action<Link> start, CancellationToken ct)
    {
        var placement = Assign(call);
        if (placement.Link is null)
        {
            await NotFollowedAsync(call, observer, ct).ConfigureAwait(false);
        }
        foreach (var link in placement.Opened)
        {
            log.LogInformation("Opening Genesys channel {Index}: the others carry {Topics} topics", link.Index, options.TopicsPerChannel);
            start(link);
        }
        if (placement is { Link: { } on, ChannelId: not null })
        {
            on.Added.Enqueue(call);
            on.Changed.Release();
        }
    }

    /// <summary>
    /// The call is over. If it was never subscribed, all of it went unheard: that gap goes first, since
    /// nothing of a call is recorded after its end.
    /// </summary>
    private async ValueTask FinishAsync(CallFinished f, Link on, Emitter observer, CancellationToken ct)
    {
        if (_unsubscribed.TryRemove(f.ConversationId, out var found))
        {
            var channel = _calls.TryGetValue(f.ConversationId, out var link) ? link : on;
            await observer.NextAsync(new SourceDisconnected([f.ConversationId], found,
                $"never subscribed before the call ended: {Failure(channel)}", f.ReceivedAt), ct).ConfigureAwait(false);
        }
        await observer.NextAsync(f, ct).ConfigureAwait(false);
        Leave(f.ConversationId);
    }

    /// <summary>
    /// Genesys accepted these calls' topics. One that waited longer than <see cref="GenesysOptions.SubscribeWithin"/>
    /// is recorded as unheard from when it was found until now, once.
    /// </summary>
    private async ValueTask SubscribedAsync(IEnumerable<string> calls, Link link, Emitter observer, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        foreach (var call in calls)
        {
            if (_unsubscribed.TryRemove(call, out var found) && now - found > _subscribeWithin)
            {
                log.LogWarning("Call {Call} was subscribed {Seconds:F1} s after it was found", call, (now - found).TotalSeconds);
                await observer.NextAsync(new SourceDisconnected([call], found,
                    $"not subscribed until {(now - found).TotalSeconds:F1} s after the call was found: {Failure(link)}", now), ct).ConfigureAwait(false);
            }
        }
    }

    private static string Failure(Link link) => link.LastFailure is { Length: > 0 } f ? f : "the channel was not connected";

    /// <summary>The call is over: its topic leaves its channel, as Genesys' own blueprint does.</summary>
    private void Leave(string call)
    {
        if (!_calls.TryRemove(call, out var link))
        {
            return;
        }
        link.Calls.TryRemove(call, out _);
        _heard.TryRemove(call, out _);
        link.Removed = true;
        link.Changed.Release();
    }

    /// <summary>
    /// Sends a channel's subscription changes, batched: whatever was asked within a short wait, or while
    /// the last request was on its way, goes in the next one (Genesys allows a client 300 requests a minute, and a busy queue
    /// starts and ends calls faster than that). An addition is a POST of the new topics; a removal
    /// puts the whole list. The socket's reader never waits on REST. A change that fails (429s or 5xx
    /// past the retries, a timeout) is sent again after a growing wait, with whatever was asked
    /// meanwhile: the sender ends only with its socket.
    /// </summary>
    private async Task SendChangesAsync(Link link, string channelId, Emitter observer, CancellationToken ct)
    {
        var added = new List<string>();
        var failures = 0;
        try
        {
            while (true)
            {
                if (failures == 0)
                {
                    await link.Changed.WaitAsync(ct).ConfigureAwait(false);
                    // a moment's wait gathers a burst of new calls into one request
                    await Task.Delay(options.SubscriptionBatch, time, ct).ConfigureAwait(false);
                }
                else
                {
                    var wait = Math.Min(options.RetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16)), 10_000);
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), time, ct).ConfigureAwait(false);
                }
                while (link.Changed.CurrentCount > 0)
                {
                    await link.Changed.WaitAsync(ct).ConfigureAwait(false);
                }
                while (link.Added.TryDequeue(out var call))
                {
                    added.Add(call);
                }
                // a call that ended while its topic waited is not subscribed after all
                added.RemoveAll(c => !link.Calls.ContainsKey(c));
                var replace = link.Removed;
                link.Removed = false;
                try
                {
                    if (replace)
                    {
                        await _rest.SendAsync(HttpMethod.Put, $"/api/v2/notifications/channels/{channelId}/subscriptions", SubscriptionList(link), ct).ConfigureAwait(false);
                        await SubscribedAsync(link.Calls.Keys, link, observer, ct).ConfigureAwait(false);
                    }
                    else if (added.Count > 0)
                    {
                        await _rest.SendAsync(HttpMethod.Post, $"/api/v2/notifications/channels/{channelId}/subscriptions", Topics(added.Select(TranscriptionTopic)), ct).ConfigureAwait(false);
                        await SubscribedAsync(added, link, observer, ct).ConfigureAwait(false);
                    }
                    added.Clear();
                    failures = 0;
                }
                catch (Exception e) when (IsTransient(e, ct))
                {
                    link.Removed |= replace;
                    failures++;
                    link.LastFailure = e.GetType().Name + ": " + e.Message;
                    log.LogWarning("Changing the subscriptions of channel {Index} failed ({Reason}); trying again", link.Index, link.LastFailure);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>What a retry may outlast: anything but a cancellation of our own, or credentials and permissions.</summary>
    private static bool IsTransient(Exception e, CancellationToken ct) =>
        e is not GenesysAuthException && !(e is OperationCanceledException && ct.IsCancellationRequested);

    /// <summary>
    /// Changes a channel's subscriptions from whichever socket heard the news. A failure there is
    /// that channel's business (its reconnect puts the whole list again), not this socket's.
    /// </summary>
    private async Task OnOtherChannelAsync(Link link, HttpMethod method, string channelId, JsonArray topics, CancellationToken ct)
    {
        try
        {
            await _rest.SendAsync(method, $"/api/v2/notifications/channels/{channelId}/subscriptions", topics, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsTransient(e, ct))
        {
            log.LogWarning("Changing the subscriptions of channel {Index} failed ({Reason}); its reconnect will put them again", link.Index, e.Message);
        }
    }

    private JsonArray SubscriptionList(Link link) => Topics(FixedTopics(link).Concat(link.Calls.Keys.Select(TranscriptionTopic)));

    /// <summary>The first channel also listens for new calls, on queues and on agents.</summary>
    private IEnumerable<string> FixedTopics(Link link) => link.Index != 0 ? [] :
        options.QueueIds.Select(q => $"v2.routing.queues.{q}.conversations").Concat(options.UserIds.Select(u => $"v2.users.{u}.conversations"));

    private static string TranscriptionTopic(string conversationId) => $"v2.conversations.{conversationId}.transcription";

    private static JsonArray Topics(IEnumerable<string> topics) => [.. topics.Select(t => (JsonNode)new JsonObject { ["id"] = t })];
}
