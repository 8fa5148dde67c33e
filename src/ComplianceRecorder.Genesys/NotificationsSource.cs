using System.Reactive.Linq;
using ComplianceRecorder.Genesys.Notifications;
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
public sealed class NotificationsSource : ITranscriptSource
{
    private readonly GenesysOptions _options;
    private readonly ChannelPlacement _placement;
    private readonly ChannelSocket _sockets;
    private readonly TaskCompletionSource<(SourceEmitter Observer, Action<NotificationChannel> Start)> _running = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="gate">With several recorders on one store, which calls found here this one follows (#15).</param>
    public NotificationsSource(HttpClient http, GenesysOptions options, TimeProvider time, ILogger log, ICallGate? gate = null)
    {
        _options = options;
        Rest = new GenesysRest(http, options, time);
        _placement = new ChannelPlacement(options, time, log, gate);
        var changes = new SubscriptionChanges(Rest, options, time, _placement, log);
        _sockets = new ChannelSocket(Rest, options, time, _placement, changes, new SilenceWatch(options, time, _placement), log);
    }

    public GenesysRest Rest { get; }

    /// <summary>Whether a call is followed (placed on a channel) now.</summary>
    public bool Follows(string conversationId) => _placement.Follows(conversationId);

    /// <summary>
    /// Whether the call is this source's already: followed, being placed after its claim, or heard end (its end
    /// may not be durable yet, and the store names its holder until it is, but the call is over).
    /// </summary>
    public bool Holds(string conversationId) => _placement.Holds(conversationId);

    /// <summary>The calls followed now.</summary>
    public IReadOnlyCollection<string> Followed => _placement.Followed;

    /// <summary>Messages on topics this client does not follow (presence, queue membership, …): ignored, counted here.</summary>
    public long UnknownTopics => _sockets.UnknownTopics;

    public bool Connected => _placement.Connected;

    public int Reconnects => _placement.Reconnects;

    /// <summary>Channels open or being opened.</summary>
    public int Channels => _placement.Count;

    /// <summary>
    /// Follows a call another recorder instance followed until now (it lapsed, or is stopping), once the source
    /// runs; <paramref name="unheard"/>, the time nobody followed it, goes first, as a gap.
    /// </summary>
    public async Task TakeOverAsync(string conversationId, SourceDisconnected? unheard, CancellationToken ct)
    {
        var (observer, start) = await _running.Task.WaitAsync(ct).ConfigureAwait(false);
        _placement.Forget(conversationId);
        if (unheard is not null)
        {
            await observer.NextAsync(unheard, ct).ConfigureAwait(false);
        }
        await _placement.FollowAsync(conversationId, observer, start, ct, claimed: true).ConfigureAwait(false);
    }

    public IObservable<SourceEvent> Events() =>
        Observable.Create<SourceEvent>((observer, ct) => RunAsync(new SourceEmitter(observer), ct));

    private async Task RunAsync(SourceEmitter observer, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Exception? fatal = null;
        void Start(NotificationChannel channel) => channel.Loop = Task.Run(async () =>
        {
            try
            {
                await _sockets.RunAsync(channel, observer, Start, stop.Token).ConfigureAwait(false);
            }
            catch (GenesysAuthException e)
            {
                // credentials or permissions: no channel can work, so the whole source fails with the reason
                Interlocked.CompareExchange(ref fatal, e, null);
                await stop.CancelAsync().ConfigureAwait(false);
            }
        });

        _placement.OpenFirst();
        foreach (var id in _options.ConversationIds)
        {
            if (_placement.Assign(id).Channel is null)
            {
                await _placement.NotFollowedAsync(id, observer, ct).ConfigureAwait(false);
            }
        }
        foreach (var channel in _placement.All())
        {
            Start(channel);
        }
        _running.TrySetResult((observer, Start));
        await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        await Task.WhenAll(_placement.All().Select(l => l.Loop)).ConfigureAwait(false);
        await observer.EndAsync(fatal).ConfigureAwait(false);
    }
}
