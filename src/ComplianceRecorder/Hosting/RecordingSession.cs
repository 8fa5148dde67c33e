using System.Reactive.Concurrency;
using System.Reactive.Linq;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.Genesys;
using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Pipeline.Input;
using ComplianceRecorder.Recording;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ComplianceRecorder.Hosting;

/// <summary>
/// The recording itself on the host's lifetime. Start: calls the last run left open are followed again
/// (the time unheard becomes a gap), what an earlier stop spilled is appended first, then the Genesys
/// source feeds the pipeline. Stop, which comes after the web endpoints have stopped and before the
/// signer, the projections and the store: intake stops, the pipeline drains, what it held is committed,
/// and what the store cannot take by the deadline is spilled. A recording that ends on its own (the
/// source or the store failed for good) stops the host, and <see cref="Recorder"/> says why.
/// </summary>
public sealed class RecordingSession(
    GenesysOptions configured,
    IOptions<RecorderOptions> options,
    NpgsqlDataSource db,
    GroupCommitter committer,
    ProjectionDaemon daemon,
    LiveCaptions captions,
    IHttpClientFactory http,
    IScheduler scheduler,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<RecordingSession> log) : IHostedService
{
    /// <summary>The named HttpClient the Genesys REST calls go through.</summary>
    public const string HttpClientName = "genesys";

    private IDisposable? _relay;
    private int _stopped;

    /// <summary>Null until the host has started.</summary>
    public Recorder? Recorder { get; private set; }

    /// <summary>Null until the host has started.</summary>
    public ITranscriptSource? Source { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var pipeline = new PipelineOptions
        {
            MetricsWindow = TimeSpan.FromSeconds(o.MetricsWindowSeconds),
            HoldUnsettled = TimeSpan.FromMilliseconds(o.HoldUnsettledMs),
            CallIdle = TimeSpan.FromSeconds(o.CallIdleSeconds),
        };
        // a call the source stops hearing is let go when the pipeline would close it anyway
        var genesys = configured with { CallSilence = pipeline.CallIdle };

        var open = await Resumption.OpenCallsAsync(db, cancellationToken).ConfigureAwait(false);
        if (open.Count > 0)
        {
            HostLog.Resuming(log, open.Count);
            if (genesys.Dialect != "media")
            {
                genesys = genesys with { ConversationIds = [.. genesys.ConversationIds.Union(open.Select(c => c.Call))] };
            }
        }
        await ReplaySpilledAsync(cancellationToken).ConfigureAwait(false);

        var client = http.CreateClient(HttpClientName);
        ITranscriptArchive? archive = null;
        if (genesys.Dialect == "media")
        {
            Source = new MediaSource(client, genesys, time, log);
        }
        else
        {
            var notifications = new NotificationsSource(client, genesys, time, log);
            archive = genesys.Backfill ? new TranscriptArchive(notifications.Rest, time, log) : null;
            Source = notifications;
        }
        var events = Source.Events().StartWith(Resumption.Gaps(open, time.GetUtcNow()));
        Recorder = new Recorder(events, committer, pipeline, scheduler, log, archive, archive is null ? null : new RecordedFinals(db));
        _relay = Recorder.Captions.Subscribe(captions);
        var recorder = Recorder;
        var source = Source;
        RecorderMetrics.Observe(() => recorder.Calls, () => committer.Backlog, () => daemon.Lag, () => source.Connected);
        // a recording that ends by itself (the source completed, or failed for good) ends the process's reason to run
        _ = Recorder.Completion.ContinueWith(_ => lifetime.StopApplication(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Recorder is null || Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }
        var o = options.Value;
        await Recorder.StopAndCommitAsync(TimeSpan.FromSeconds(o.DrainSeconds), TimeSpan.FromSeconds(o.CommitSeconds)).ConfigureAwait(false);
        _relay?.Dispose();
    }

    /// <summary>What an earlier stop spilled is appended before anything new; each file is deleted once its events are durable.</summary>
    private async Task ReplaySpilledAsync(CancellationToken ct)
    {
        if (committer.SpillDirectory is not { } dir)
        {
            return;
        }
        foreach (var file in new SpillFile(dir).Pending())
        {
            var events = SpillFile.Read(file);
            var commits = new Task<Appended>[events.Count];
            for (var i = 0; i < events.Count; i++)
            {
                commits[i] = await committer.EnqueueAsync(events[i], ct).ConfigureAwait(false);
            }
            var appended = await Task.WhenAll(commits).ConfigureAwait(false);
            File.Delete(file);
            HostLog.SpillReplayed(log, events.Count, file, appended.Count(a => a.Duplicate));
        }
    }
}
