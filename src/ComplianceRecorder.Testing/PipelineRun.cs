using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Subjects;
using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Testing;

/// <summary>
/// The transcript pipeline, subscribed at time 0 on a <see cref="HistoricalScheduler"/> that starts at
/// <see cref="Origin"/>, over a source that scripts are played into. Nothing moves until the test
/// advances virtual time; every event the pipeline emits is recorded with the time it came out, in
/// milliseconds from the start. The pipeline reads time only from its scheduler, so no TimeProvider
/// has to be kept in step.
/// </summary>
public sealed class PipelineRun : IDisposable
{
    /// <summary>Where virtual time starts unless a run says otherwise.</summary>
    public static readonly DateTimeOffset DefaultOrigin = new(2026, 1, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly Subject<SourceEvent> _source = new();
    private readonly NotificationRecorder<SourceEvent> _frames;
    private readonly NotificationRecorder<RecordedEvent> _events;
    private readonly IDisposable _subscriptions;

    /// <summary>A run with the pipeline built from these options (and, for backfill, an archive and the store's finals).</summary>
    public PipelineRun(PipelineOptions? options = null, ITranscriptArchive? archive = null, IRecordedFinals? recorded = null, DateTimeOffset? origin = null)
    {
        Origin = origin ?? DefaultOrigin;
        Scheduler = new HistoricalScheduler(Origin);
        _frames = new NotificationRecorder<SourceEvent>(Scheduler, Origin);
        _events = new NotificationRecorder<RecordedEvent>(Scheduler, Origin);
        // frames first: a frame is on record before whatever the pipeline makes of it
        _subscriptions = new CompositeDisposable(
            _source.Subscribe(_frames),
            TranscriptPipeline.Build(_source, options ?? new PipelineOptions(), Scheduler, archive, recorded).Subscribe(_events));
    }

    /// <summary>Plays <paramref name="scripts"/> and runs virtual time until nothing is left to happen.</summary>
    public static PipelineRun Start(PipelineOptions options, params CallScript[] scripts)
    {
        var run = new PipelineRun(options);
        run.Play(scripts);
        run.RunUntilQuiet();
        return run;
    }

    /// <summary>Plays <paramref name="script"/> with default options and runs virtual time until nothing is left to happen.</summary>
    public static PipelineRun Start(CallScript script) => Start(new PipelineOptions(), script);

    /// <summary>Virtual time 0.</summary>
    public DateTimeOffset Origin { get; }

    /// <summary>The scheduler the pipeline runs on; advance it through the run, or directly.</summary>
    public HistoricalScheduler Scheduler { get; }

    /// <summary>Milliseconds since <see cref="Origin"/>.</summary>
    public long Now => (Scheduler.Now - Origin).Ticks / TimeSpan.TicksPerMillisecond;

    /// <summary>Every notification the pipeline emitted so far, with its time.</summary>
    public IReadOnlyList<Recorded<Notification<RecordedEvent>>> Messages => _events.Messages;

    /// <summary>The events the pipeline emitted so far, in order, without their times.</summary>
    public IReadOnlyList<RecordedEvent> Events => _events.Messages.Values();

    /// <summary>Every frame delivered to the pipeline so far, with its time.</summary>
    public IReadOnlyList<Recorded<Notification<SourceEvent>>> Frames => _frames.Messages;

    /// <summary>Done when the pipeline completed (after <see cref="Stop"/>) or failed; awaited when work off the scheduler, such as a backfill fetch, must finish.</summary>
    public Task Ended => _events.Ended;

    /// <summary>Schedules every frame of <paramref name="scripts"/> at its time; frames at one time go in script order.</summary>
    public PipelineRun Play(params CallScript[] scripts)
    {
        var frames = scripts.SelectMany(s => s.Frames(Origin)).OrderBy(f => f.At).ToList();
        foreach (var due in frames.GroupBy(f => f.At))
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(due.Key, Now, "a scripted frame's time");
            var batch = due.Select(f => f.Event).ToArray();
            Scheduler.Schedule(Origin.AddMilliseconds(due.Key), () =>
            {
                foreach (var e in batch)
                {
                    _source.OnNext(e);
                }
            });
        }
        return this;
    }

    /// <summary>Delivers <paramref name="frame"/> now, outside any script.</summary>
    public void Send(SourceEvent frame) => _source.OnNext(frame);

    /// <summary>Runs everything due up to <paramref name="milliseconds"/> after the start, and stops the clock there.</summary>
    public void AdvanceTo(long milliseconds) => Scheduler.AdvanceTo(Origin.AddMilliseconds(milliseconds));

    /// <summary>Runs everything due in the next <paramref name="time"/>.</summary>
    public void AdvanceBy(TimeSpan time) => Scheduler.AdvanceBy(time);

    /// <summary>Runs virtual time until nothing is scheduled any more (calls left open end by their idle time).</summary>
    public void RunUntilQuiet() => Scheduler.Start();

    /// <summary>The source completes now, as when the recorder stops: what the pipeline holds flows out, then it completes.</summary>
    public void Stop() => _source.OnCompleted();

    /// <inheritdoc/>
    public void Dispose()
    {
        _subscriptions.Dispose();
        _source.Dispose();
    }
}
