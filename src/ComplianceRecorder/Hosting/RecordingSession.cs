using System.Reactive.Concurrency;
using System.Reactive.Linq;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Encryption;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.Genesys;
using ComplianceRecorder.Genesys.AudioHook;
using ComplianceRecorder.Genesys.Speech;
using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;
using ComplianceRecorder.Pipeline.Redaction;
using ComplianceRecorder.Recording;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ComplianceRecorder.Hosting;

/// <summary>
/// The recording itself on the host's lifetime. Start: what an earlier stop spilled is appended first,
/// then calls the last run left open are followed again (the time unheard becomes a gap), then the
/// Genesys source feeds the pipeline. Stop, which comes after the web endpoints have stopped and before the
/// signer, the projections and the store: intake stops, the pipeline drains, what it held is committed,
/// and what the store cannot take by the deadline is spilled. A recording that ends on its own (the
/// source or the store failed for good) stops the host, and <see cref="Recorder"/> says why.
/// </summary>
public sealed class RecordingSession(
    GenesysOptions configured,
    IOptions<RecorderOptions> options,
    [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db,
    GroupCommitter committer,
    ProjectionDaemon daemon,
    LiveCaptions captions,
    StoredText text,
    IHttpClientFactory http,
    [FromKeyedServices(ComplianceRecorderServices.Key)] IScheduler scheduler,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    InstanceMembership membership,
    ILogger<RecordingSession> log,
    AudioHookSource? audioHook = null) : IHostedLifecycleService, IAsyncDisposable
{
    /// <summary>The named HttpClient the Genesys REST calls go through.</summary>
    public const string HttpClientName = "genesys";

    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _startCut = new();
    // spill files whose every event is queued on the committer when a replay was cut: once the committer
    // has stopped (each of them durable, or spilled again to a new file) they are deleted, never replayed twice
    private readonly List<(string File, bool Damaged, Task<Appended>[] Commits)> _handedOver = [];
    private Task? _start;
    private Task? _stopping;
    // calls handed to another instance at stop: their end is that instance's to record
    private IReadOnlySet<string> _handed = new HashSet<string>();
    private readonly CancellationTokenSource _peersStop = new();
    private Task _peers = Task.CompletedTask;

    /// <summary>Null until the host has started.</summary>
    public Recorder? Recorder { get; private set; }

    /// <summary>Null until the host has started.</summary>
    public ITranscriptSource? Source { get; private set; }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Intake begins once every part has started, the web server included: a start that fails (a port
    /// taken, a bad address) must not first resume calls, replay spill files or end live calls by stopping.
    /// A start that fails or is cut part way stops what it began (an embedding host does not call
    /// StopAsync after a failed start); a stop that comes meanwhile cuts it and waits for it.
    /// </summary>
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _startCut.Token);
        Task start;
        lock (_gate)
        {
            if (_stopping is not null)
            {
                return;
            }
            start = _start = StartIntakeAsync(cut.Token);
        }
        try
        {
            await start.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            try
            {
                await StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception stopping)
            {
                // the start's own error is the one reported; the stop's is logged
                HostLog.StopAfterFailedStartFailed(log, stopping);
            }
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
        }
    }

    private async Task StartIntakeAsync(CancellationToken ct)
    {
        await Task.Yield();
        var o = options.Value;
        var pipeline = new PipelineOptions
        {
            MetricsWindow = TimeSpan.FromSeconds(o.MetricsWindowSeconds),
            HoldUnsettled = TimeSpan.FromMilliseconds(o.HoldUnsettledMs),
            CallIdle = TimeSpan.FromSeconds(o.CallIdleSeconds),
            Redaction = new RedactionOptions { KeepAgentNames = o.KeepAgentNames, KeepCardLastFour = o.KeepCardLastFour },
        };
        // a call the source stops hearing is let go when the pipeline would close it anyway
        var genesys = configured with { CallSilence = pipeline.CallIdle };

        // what an earlier stop spilled goes first: a call it started is open, and a call it ended is not
        await ReplaySpilledAsync(ct).ConfigureAwait(false);
        var open = await Resumption.OpenCallsAsync(db, ct).ConfigureAwait(false);
        IEnumerable<SourceEvent> unheard = Resumption.Gaps(open, time.GetUtcNow());
        if (open.Count > 0 && genesys.Dialect != "media" && membership.Joined)
        {
            // with other instances on the store, an open call may be followed by one of them: only this one's are resumed
            (open, unheard) = await ResumeOwnAsync(open, ct).ConfigureAwait(false);
        }
        if (open.Count > 0)
        {
            HostLog.Resuming(log, open.Count);
            if (genesys.Dialect == "notifications")
            {
                genesys = genesys with { ConversationIds = [.. genesys.ConversationIds.Union(open.Select(c => c.Call))] };
            }
        }
        // a stop that came while the start ran gets no recorder to drain: nothing may be heard after it
        ct.ThrowIfCancellationRequested();

        var client = http.CreateClient(HttpClientName);
        ITranscriptArchive? archive = null;
        if (genesys.Dialect == "media")
        {
            Source = new MediaSource(client, genesys, time, log);
        }
        else if (audioHook is not null)
        {
            // the first call should not wait for a model to load, and a recognizer that cannot load fails the start here
            if (audioHook.Recognizer is PocketSphinxRecognizer embedded)
            {
                await Task.Run(embedded.Warm, ct).ConfigureAwait(false);
            }
            Source = audioHook;
        }
        else
        {
            var notifications = new NotificationsSource(client, genesys, time, log, membership);
            membership.Claimed = (claims, ct) => TakeOverAsync(notifications, claims, ct);
            archive = genesys.Backfill ? new TranscriptArchive(notifications.Rest, time, log) : null;
            Source = notifications;
        }
        var events = Source.Events().StartWith(unheard);
        Recorder = new Recorder(events, committer, pipeline, scheduler, log, archive, archive is null ? null : new RecordedFinals(db, text), captions,
            keep: e => e is not CallEnded c || !_handed.Contains(c.ConversationId));
        // a consumer connected here sees the calls other instances record too
        if (membership.Joined)
        {
            _peers = Task.Run(() => new PeerCaptions(db, text, membership.Name, captions, time, log).RunAsync(_peersStop.Token), CancellationToken.None);
        }
        var recorder = Recorder;
        var source = Source;
        RecorderMetrics.Observe(() => recorder.Calls, () => committer.Backlog, () => daemon.Lag, () => source.Connected);
        // a recording that ends by itself (the source completed, or failed for good) ends the process's reason to run
        _ = Recorder.Completion.ContinueWith(_ => lifetime.StopApplication(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Every caller, a second concurrent stop included, waits for the one drain and commit.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Task stopping;
        var first = false;
        lock (_gate)
        {
            if (_stopping is null)
            {
                _stopping = StopOnceAsync();
                first = true;
            }
            stopping = _stopping;
        }
        if (first)
        {
            _startCut.Cancel();
        }
        return stopping;
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// A host whose start failed after this one's (an embedding host's own part, say) disposes without a stop:
    /// the container disposes this before the committer it depends on, so the drain and commit still happen.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _startCut.Dispose();
        _peersStop.Dispose();
    }

    private async Task StopOnceAsync()
    {
        await Task.Yield();
        if (_start is { } start)
        {
            try
            {
                await start.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // the start's own caller reports it; here only what it began is stopped
            }
        }
        var o = options.Value;
        membership.Claimed = null;
        await _peersStop.CancelAsync().ConfigureAwait(false);
        await _peers.ConfigureAwait(false);
        if (Source is NotificationsSource notifications)
        {
            // a rolling restart: the other instances take this one's calls before it stops hearing them
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(o.DrainSeconds));
            try
            {
                _handed = await membership.HandOverAsync(notifications.Followed, configured.SubscriptionBatch + TimeSpan.FromSeconds(1), bound.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
            {
                HostLog.TakeOverFailed(log, e.Message);
            }
        }
        if (Recorder is { } recorder)
        {
            await recorder.StopAndCommitAsync(TimeSpan.FromSeconds(o.DrainSeconds), TimeSpan.FromSeconds(o.CommitSeconds)).ConfigureAwait(false);
        }
        else
        {
            // stopped before intake began (a failed start, a spill replay cut short): what is queued still
            // gets the commit deadline and the spill file, subscribers hear the end, and the committer's
            // disposal then has nothing to wait for
            await committer.StopAsync(TimeSpan.FromSeconds(o.CommitSeconds)).ConfigureAwait(false);
            ((IObserver<ReadSide.Caption>)captions).OnCompleted();
        }
        // only a file each of whose events is now durable or in a newer spill file goes; any other outcome
        // (a fatal append, a spill that could not be written) keeps it whole for the next start
        foreach (var (file, damaged, commits) in _handedOver)
        {
            if (commits.All(c => c.IsCompletedSuccessfully || c.Exception?.InnerException is EventsSpilledException))
            {
                Retire(file, damaged);
            }
        }
    }

    /// <summary>
    /// The open calls this instance holds, each with the time it went unheard: a gap the store kept for it (its
    /// holder lapsed), or, for a call no instance had a lease on (a store from before #15), since it was last heard.
    /// </summary>
    private async Task<(IReadOnlyList<(string Call, DateTimeOffset LastHeard)>, IEnumerable<SourceEvent>)> ResumeOwnAsync(
        IReadOnlyList<(string Call, DateTimeOffset LastHeard)> open, CancellationToken ct)
    {
        var claims = (await membership.ClaimAsync([.. open.Select(o => o.Call)], ct).ConfigureAwait(false)).Where(c => c.Mine).ToDictionary(c => c.Call);
        var now = time.GetUtcNow();
        var own = open.Where(o => claims.ContainsKey(o.Call)).ToList();
        var gaps = new List<SourceEvent>();
        foreach (var (call, lastHeard) in own)
        {
            var claim = claims[call];
            if (claim.GapFrom is { } from)
            {
                gaps.Add(Unheard(call, from, claim.GapTo ?? now));
            }
            else if (!claim.Covered)
            {
                gaps.Add(Resumption.Gaps([(call, lastHeard)], now).Single());
            }
        }
        HostLog.ResumedOwn(log, own.Count, open.Count, gaps.Count, string.Join(", ", claims.Values.Select(c => $"{c.Call}: {c.Owner}/{c.Standby} covered {c.Covered} gap {c.GapFrom:O}")));
        return (own, gaps);
    }

    /// <summary>The periodic claim's answer: calls this instance now holds and does not follow yet are followed, after their gap if nobody followed them.</summary>
    private async Task TakeOverAsync(NotificationsSource source, IReadOnlyList<CallClaim> claims, CancellationToken ct)
    {
        foreach (var claim in claims)
        {
            // a call heard end here is not taken again while its end waits to be durable: the store names its holder
            // until then, and each pass took it over again and recorded its end again
            if (!claim.Mine || (claim.GapFrom is null && source.Holds(claim.Call)))
            {
                continue;
            }
            HostLog.TakingOver(log, claim.Call, claim.Owner, claim.Standby, claim.GapFrom);
            try
            {
                var gap = claim.GapFrom is { } from ? Unheard(claim.Call, from, claim.GapTo ?? time.GetUtcNow()) : null;
                await source.TakeOverAsync(claim.Call, gap, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                HostLog.TakeOverFailed(log, e.Message);
            }
        }
    }

    private SourceDisconnected Unheard(string call, DateTimeOffset from, DateTimeOffset to) =>
        new([call], from, $"the recorder was not running: the instance that followed this call stopped (its lease lapsed), and {membership.Name} took it over", to);

    /// <summary>
    /// What an earlier stop spilled is appended before anything new; each file is deleted once its events
    /// are durable. A line that holds no readable event is recorded as refused (file, line, reason) in its
    /// place, so a damaged file neither blocks every start nor loses the rest, and the file is set aside.
    /// </summary>
    private async Task ReplaySpilledAsync(CancellationToken ct)
    {
        if (committer.SpillDirectory is not { } dir)
        {
            return;
        }
        foreach (var file in new SpillFile(dir).Pending())
        {
            var contents = SpillFile.Read(file);
            var damaged = contents.Unreadable.Count > 0;
            List<RecordedEvent> events = [.. contents.Events];
            foreach (var bad in contents.Unreadable)
            {
                HostLog.SpillLineUnreadable(log, file, bad.Line, bad.Reason);
                var name = Path.GetFileName(file);
                events.Add(new EventRefused("spill", "spill_line", $"{name}:{bad.Line}", null, $"{name} line {bad.Line}: {bad.Reason}", time.GetUtcNow()));
            }
            var commits = new Task<Appended>[events.Count];
            var queued = 0;
            try
            {
                for (; queued < events.Count; queued++)
                {
                    commits[queued] = await committer.EnqueueAsync(events[queued], ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // cut while still queueing: what was not queued goes to a spill file of its own, so this file's
                // events are each in exactly one place and the file can go once the stop has seen to the queued
                // ones; should that write fail, the file stays whole (a keyed event is then a duplicate next time)
                new SpillFile(dir).Write([.. events.Skip(queued)]);
                lock (_gate)
                {
                    _handedOver.Add((file, damaged, commits[..queued]));
                }
                throw;
            }
            Task<Appended[]> durable;
            lock (_gate)
            {
                _handedOver.Add((file, damaged, commits));
                durable = Task.WhenAll(commits);
            }
            // a store that stalls here must not hold the start (and Ctrl+C) for ever: every event of the file
            // is queued, so the stop commits or spills them again and the file is deleted then
            var appended = await durable.WaitAsync(ct).ConfigureAwait(false);
            lock (_gate)
            {
                _handedOver.RemoveAll(h => h.File == file);
            }
            Retire(file, damaged);
            HostLog.SpillReplayed(log, events.Count, file, appended.Count(a => a.Duplicate));
        }
    }

    /// <summary>A replayed file goes; one with unreadable lines is kept aside, its lines already recorded as refused.</summary>
    private void Retire(string file, bool damaged)
    {
        if (damaged)
        {
            HostLog.SpillSetAside(log, SpillFile.SetAside(file));
        }
        else
        {
            File.Delete(file);
        }
    }
}
