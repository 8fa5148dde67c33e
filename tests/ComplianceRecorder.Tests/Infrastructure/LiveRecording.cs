using System.Reactive.Concurrency;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Genesys;
using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Recording;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComplianceRecorder.Tests.Infrastructure;

/// <summary>
/// The recorder's parts wired as the host wires them — notifications source, optional backfill,
/// group committer, recorder — against an emulator and a test database.
/// </summary>
internal sealed class LiveRecording : IAsyncDisposable
{
    private readonly HttpClient _http = new();

    public LiveRecording(GenesysEmulator emulator, Database db, string writer, TimeSpan? callIdle = null, bool backfill = false)
    {
        var idle = callIdle ?? new PipelineOptions().CallIdle;
        Source = new NotificationsSource(_http, emulator.ClientOptions() with { CallSilence = idle }, TimeProvider.System, NullLogger.Instance);
        var archive = backfill ? new TranscriptArchive(Source.Rest, TimeProvider.System, NullLogger.Instance) : null;
        var committer = new GroupCommitter(db.Store(writer), NullLogger.Instance, TimeProvider.System);
        Recorder = new Recorder(Source.Events(), committer, new PipelineOptions { CallIdle = idle }, DefaultScheduler.Instance, NullLogger.Instance, archive, archive is null ? null : new RecordedFinals(db.DataSource, db.Text));
    }

    public NotificationsSource Source { get; }

    public Recorder Recorder { get; }

    /// <summary>Stops listening, drains what the pipeline holds and commits it.</summary>
    public async ValueTask DisposeAsync()
    {
        await Recorder.DisposeAsync();
        _http.Dispose();
    }
}
