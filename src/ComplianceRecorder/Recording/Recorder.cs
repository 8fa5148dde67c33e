using System.Diagnostics;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Pipeline.Captions;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Recording;

/// <summary>
/// Runs the pipeline into the store: every event the query emits is appended through the group
/// committer, and only once it is durable does it become a caption. Keeps the running figures the
/// one-line summary prints.
/// </summary>
public sealed class Recorder : IAsyncDisposable
{
    private readonly GroupCommitter _committer;
    private readonly Subject<Caption> _captions = new();
    private readonly ILogger _log;
    private readonly IDisposable _subscription;
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<double> _durableLatencies = [];
    private readonly Lock _gate = new();

    public Recorder(IObservable<SourceEvent> source, GroupCommitter committer, PipelineOptions options, IScheduler scheduler, ILogger log)
    {
        _committer = committer;
        _log = log;
        _subscription = TranscriptPipeline.Build(source, options, scheduler)
            .Select(e => Observable.FromAsync(async ct =>
            {
                var started = Stopwatch.GetTimestamp();
                var appended = await committer.AppendAsync(e, ct).ConfigureAwait(false);
                return (Event: e, Appended: appended, DurableMs: Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }))
            .Merge(maxConcurrent: 4096)
            .Subscribe(OnRecorded, e =>
            {
                _log.LogError(e, "Recording stopped");
                _completed.TrySetException(e);
            }, () => _completed.TrySetResult());
    }

    /// <summary>Redacted captions of what is durable, as the tutorial's registerCaptionConsumer but observable.</summary>
    public IObservable<Caption> Captions => _captions;

    public long Segments { get; private set; }

    public long Gaps { get; private set; }

    public long Quarantined { get; private set; }

    public HashSet<string> Calls { get; } = [];

    public int Backlog => _committer.Backlog;

    public bool StoreFailing => _committer.Failing;

    public Task Completion => _completed.Task;

    public (double P50, double P99) DurableLatency()
    {
        lock (_gate)
        {
            if (_durableLatencies.Count == 0)
            {
                return (0, 0);
            }
            var sorted = _durableLatencies.Order().ToArray();
            return (sorted[(int)(sorted.Length * 0.5)], sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))]);
        }
    }

    private void OnRecorded((RecordedEvent Event, Appended Appended, double DurableMs) r)
    {
        lock (_gate)
        {
            switch (r.Event)
            {
                case SegmentRecorded s:
                    Segments++;
                    Calls.Add(s.ConversationId);
                    _durableLatencies.Add(r.DurableMs);
                    if (_durableLatencies.Count > 10_000)
                    {
                        _durableLatencies.RemoveRange(0, 5_000);
                    }
                    _captions.OnNext(Caption.Of(s, r.Appended.Seq));
                    break;
                case CoverageGapRecorded g:
                    Gaps++;
                    _captions.OnNext(Caption.Of(g, r.Appended.Seq));
                    break;
                case FrameQuarantined:
                    Quarantined++;
                    break;
                case CallEnded c:
                    _captions.OnNext(Caption.Ended(c.ConversationId, r.Appended.Seq));
                    break;
            }
        }
    }

    public string Summary()
    {
        var (p50, p99) = DurableLatency();
        return $"calls {Calls.Count} | segments {Segments} | receive→durable p50 {p50:F1} ms p99 {p99:F1} ms | gaps {Gaps} | quarantined {Quarantined} | backlog {Backlog}";
    }

    public async ValueTask DisposeAsync()
    {
        _subscription.Dispose();
        await _committer.DisposeAsync().ConfigureAwait(false);
        _captions.OnCompleted();
        _captions.Dispose();
    }
}
