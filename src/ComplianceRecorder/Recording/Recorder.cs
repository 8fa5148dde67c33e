using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;
using ComplianceRecorder.Pipeline.Metrics;
using ComplianceRecorder.ReadSide;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Recording;

/// <summary>
/// Runs the pipeline into the store: every event the query emits is queued on the group committer
/// (which blocks the source while it is full), and only once it is durable does it become a caption and
/// count towards the latency windows, which are recorded as events in their turn.
/// </summary>
public sealed class Recorder : IAsyncDisposable
{
    private readonly GroupCommitter _committer;
    private readonly IScheduler _scheduler;
    private readonly Subject<Caption> _captions = new();
    private readonly AsyncSubject<System.Reactive.Unit> _stop = new();
    private readonly ILogger _log;
    private readonly IDisposable _subscription;
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly HashSet<string> _calls = [];
    private readonly IDisposable _relay;
    private MetricsWindowClosed? _lastWindow;

    public Recorder(IObservable<SourceEvent> source, GroupCommitter committer, PipelineOptions options, IScheduler scheduler, ILogger log, ITranscriptArchive? archive = null, IRecordedFinals? recorded = null, IObserver<Caption>? captions = null, Func<RecordedEvent, bool>? keep = null)
    {
        // subscribed before the pipeline is connected, so the first caption cannot come before it
        _relay = captions is null ? System.Reactive.Disposables.Disposable.Empty : _captions.Subscribe(captions);
        _committer = committer;
        _scheduler = scheduler;
        _log = log;
        // stopping ends the source rather than dropping the subscription, so what the pipeline still
        // holds (a final waiting on its number, an open metrics window) flows out and is committed
        var events = TranscriptPipeline.Build(source.TakeUntil(_stop), options, scheduler, archive, recorded);
        // with several instances, a call handed to another at stop is not ended by this one (#15)
        var durable = (keep is null ? events : events.Where(keep))
            .Select(e => (Event: e, Commit: committer.Enqueue(e)))
            // in the order they were queued: a call's end is never seen before its last words, and captions keep the order spoken
            .Select(pending => Observable.FromAsync(async () =>
            {
                var appended = await pending.Commit.ConfigureAwait(false);
                // a refused event is not recorded: its refusal is, in its place
                return appended.Refusal is { } refusal
                    ? new Durable(refusal, appended.Seq, scheduler.Now)
                    : new Durable(pending.Event, appended.Seq, scheduler.Now, appended.Duplicate);
            }))
            .Concat()
            .Publish();
        _subscription = new System.Reactive.Disposables.CompositeDisposable(
            // a failure is reported once, by the subscription below; without a handler here, Rx would
            // rethrow it on this one and the one below would never hear of it
            durable.Windows(options.MetricsWindow, scheduler).Subscribe(OnWindow, _ => { }),
            durable.Subscribe(OnDurable, OnFailed, () => _completed.TrySetResult()),
            durable.Connect());
    }

    /// <summary>Redacted captions of what is durable, as the tutorial's registerCaptionConsumer but observable.</summary>
    public IObservable<Caption> Captions => _captions;

    public long Segments { get; private set; }

    /// <summary>Segments the store already held (the same revision redelivered, or recorded by another recorder).</summary>
    public long Duplicates { get; private set; }

    public long Gaps { get; private set; }

    public long Quarantined { get; private set; }

    /// <summary>Events the store refused for their content, each recorded as an <see cref="EventRefused"/>.</summary>
    public long Refused { get; private set; }

    /// <summary>Events written to the spill file at stop because the store could not take them by the deadline.</summary>
    public int Spilled { get; private set; }

    /// <summary>Why recording stopped on its own, if it did.</summary>
    public Exception? Failure => Completion.IsFaulted ? Completion.Exception!.GetBaseException() : null;

    /// <summary>Calls heard since the start.</summary>
    public long CallsSeen { get; private set; }

    /// <summary>Calls heard and not yet ended.</summary>
    public int Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.Count;
            }
        }
    }

    public int Backlog => _committer.Backlog;

    public bool StoreFailing => _committer.Failing;

    public Task Completion => _completed.Task;

    private void OnDurable(Durable d)
    {
        var seq = d.Seq;
        lock (_gate)
        {
            switch (d.Event)
            {
                case SegmentRecorded when d.Duplicate:
                    // the store already held this revision: it was captioned when it was first recorded
                    Duplicates++;
                    break;
                case SegmentRecorded s:
                    Segments++;
                    if (_calls.Add(s.ConversationId))
                    {
                        CallsSeen++;
                    }
                    RecorderMetrics.Durable(s, d.DurableAt);
                    _captions.OnNext(Caption.Of(s, seq));
                    RecorderMetrics.Captioned(s, _scheduler.Now);
                    break;
                case CoverageGapRecorded g:
                    Gaps++;
                    RecorderMetrics.Gap(g);
                    _captions.OnNext(Caption.Of(g, seq));
                    break;
                case FrameQuarantined:
                    Quarantined++;
                    RecorderMetrics.Quarantined();
                    break;
                case EventRefused:
                    Refused++;
                    break;
                case CallEnded c:
                    _calls.Remove(c.ConversationId);
                    _captions.OnNext(Caption.Ended(c.ConversationId, seq));
                    break;
            }
        }
    }

    private void OnWindow(MetricsWindowClosed w)
    {
        if (w.Scope == "all")
        {
            _lastWindow = w;
        }
        // a closed window is itself recorded; its commit is not waited for here
        _committer.Enqueue(w).ContinueWith(t => RecorderLog.WindowNotRecorded(_log, t.Exception), TaskContinuationOptions.OnlyOnFaulted);
    }

    private void OnFailed(Exception e)
    {
        RecorderLog.RecordingStopped(_log, e);
        _completed.TrySetException(e);
    }

    /// <summary>The tutorial's ten-second line, from the last closed window and the running totals.</summary>
    public string Summary()
    {
        var w = _lastWindow;
        var window = w is null ? "no window closed yet"
            : $"last {(w.WindowEnd - w.WindowStart).TotalSeconds:F0} s: {w.Segments} segments, receive→durable p50 {w.P50Ms:F1} ms p99 {w.P99Ms:F1} ms, {w.Tokens / (w.WindowEnd - w.WindowStart).TotalSeconds:F1} tokens/s";
        return $"calls {CallsSeen} ({Calls} active) | segments {Segments} | gaps {Gaps} | quarantined {Quarantined} | refused {Refused} | backlog {Backlog} | {window}";
    }

    /// <summary>Stops taking frames, lets the pipeline drain, and waits (bounded) until all of it is committed.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        _stop.OnNext(System.Reactive.Unit.Default);
        _stop.OnCompleted();
        try
        {
            await Completion.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            RecorderLog.DrainTimedOut(_log, timeout);
        }
        catch (Exception) when (Completion.IsFaulted)
        {
            // already logged by OnFailed; the verbs report it in the exit code
        }
    }

    /// <summary>
    /// Drains (bounded), then gives the store until <paramref name="commitDeadline"/> to take what is
    /// left; with a spill file configured, what it cannot take by then is spilled (<see cref="Spilled"/>).
    /// </summary>
    public async ValueTask DisposeAsync() => await StopAndCommitAsync(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5)).ConfigureAwait(false);

    public async ValueTask StopAndCommitAsync(TimeSpan drain, TimeSpan commitDeadline)
    {
        await StopAsync(drain).ConfigureAwait(false);
        _subscription.Dispose();
        Spilled = await _committer.StopAsync(commitDeadline).ConfigureAwait(false);
        // the sink hears the end, then lets go
        _captions.OnCompleted();
        _relay.Dispose();
        _captions.Dispose();
    }
}
