using System.Reactive.Concurrency;
using System.Reactive.Linq;
using ComplianceRecorder.Development;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Genesys;
using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Pipeline.Input;
using ComplianceRecorder.Recording;
using ComplianceRecorder.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ComplianceRecorder.Hosting;

/// <summary>
/// Everything that runs: the store (a private cluster when none is configured), the Genesys source
/// (the emulator in the demo), the recorder, the projection daemon, the checkpoint signer and the
/// web endpoints. The verbs and the end-to-end tests start it the same way.
/// </summary>
public sealed class RecorderHost : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private LocalPostgres? _local;
    private GenesysEmulator? _emulator;
    private NpgsqlDataSource? _db;
    private WebApplication? _app;
    private HttpClient? _http;
    private Task _background = Task.CompletedTask;
    private CheckpointKey? _checkpointKey;
    private readonly AppendedHeads _heads = new();
    private ILogger? _log;

    private RecorderHost()
    {
    }

    public Recorder Recorder { get; private set; } = null!;

    public ITranscriptSource Source { get; private set; } = null!;

    public ProjectionDaemon Daemon { get; private set; } = null!;

    public NpgsqlDataSource DataSource => _db!;

    public GroupCommitter Committer { get; private set; } = null!;

    public AccessControl Access { get; private set; } = null!;

    public GenesysEmulator? Emulator => _emulator;

    public Uri Url { get; private set; } = null!;

    /// <summary>The web host's services (its route table, for one).</summary>
    public IServiceProvider Services => _app!.Services;

    public static async Task<RecorderHost> StartAsync(IConfiguration config, bool demo, ILoggerProvider? logs = null)
    {
        var host = new RecorderHost();
        try
        {
            await host.StartCoreAsync(config, demo, logs).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(IConfiguration config, bool demo, ILoggerProvider? logs)
    {
        var url = config["Recorder:Url"] is { Length: > 0 } u ? u : "http://127.0.0.1:5080";
        var genesys = Settings.Genesys(config);
        var pipeline = new PipelineOptions
        {
            MetricsWindow = TimeSpan.FromSeconds(Settings.Number(config, "Recorder:MetricsWindowSeconds", 10, 1, 3600)),
            HoldUnsettled = TimeSpan.FromMilliseconds(Settings.Number(config, "Recorder:HoldUnsettledMs", 2000, 0, 60_000)),
            CallIdle = TimeSpan.FromSeconds(Settings.Number(config, "Recorder:CallIdleSeconds", 300, 1, 86_400)),
        };
        // a call the source stops hearing is let go when the pipeline would close it anyway
        genesys = genesys with { CallSilence = pipeline.CallIdle };
        _checkpointKey = Settings.CheckpointKeys(config).Current;
        Access = AccessControl.FromConfiguration(config, demo);

        var store = await Settings.EventStoreAsync(config).ConfigureAwait(false);
        _local = store.Local;
        _db = NpgsqlDataSource.Create(store.Recorder);
        await store.MigrateAsync(_db, Console.Out).ConfigureAwait(false);

        if (demo)
        {
            var speed = Settings.Number(config, "Emulator:Speed", 1.0, 0.01, 1000);
            var media = genesys.Dialect == "media";
            _emulator = await GenesysEmulator.StartAsync(new EmulatorOptions
            {
                Speed = speed,
                // media sessions are named up front, so the media demo plays its calls once
                Loop = !media && config["Emulator:Loop"] != "false",
                Scenario = config["Emulator:Scenario"] is { Length: > 0 } sc ? sc : "demo",
            }).ConfigureAwait(false);
            genesys = genesys with
            {
                LoginBaseUrl = _emulator.BaseUri,
                ApiBaseUrl = _emulator.BaseUri,
                ClientId = "emulator-client",
                ClientSecret = "emulator-secret",
                QueueIds = [_emulator.Scenario.QueueId],
                MediaSessionIds = media ? [.. _emulator.Scenario.Calls.Select(c => c.ConversationId)] : genesys.MediaSessionIds,
            };
            Console.WriteLine($"Genesys emulator on {_emulator.BaseUri} ({genesys.Dialect} dialect, speed x{speed})");
        }
        else if (genesys.Dialect == "media" && (genesys.OrgId.Length == 0 || genesys.MediaSessionIds.Count == 0))
        {
            throw new SettingsException("Genesys:OrgId and Genesys:MediaSessionIds are required for the media dialect");
        }
        else if (genesys.ClientId.Length == 0 || genesys.ClientSecret.Length == 0)
        {
            throw new SettingsException("Genesys:ClientId and Genesys:ClientSecret are required for 'run' (set them in the environment: Genesys__ClientId, Genesys__ClientSecret or Genesys__ClientSecretFile)");
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        }
        builder.Logging.SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning);
        builder.WebHost.UseUrls(url);
        builder.Services.AddOpenApi();
        Endpoints.AddServices(builder.Services, config, Access);
        Telemetry.Add(builder.Services, config);
        _app = builder.Build();
        var log = _log = _app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ComplianceRecorder");

        var open = await Resumption.OpenCallsAsync(_db).ConfigureAwait(false);
        if (open.Count > 0)
        {
            log.LogWarning("Resuming {Calls} calls the last run did not finish; the time unheard is recorded as a gap on each", open.Count);
            if (genesys.Dialect != "media")
            {
                genesys = genesys with { ConversationIds = [.. genesys.ConversationIds.Union(open.Select(o => o.Call))] };
            }
        }
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        ITranscriptArchive? archive = null;
        if (genesys.Dialect == "media")
        {
            Source = new MediaSource(_http, genesys, TimeProvider.System, log);
        }
        else
        {
            var notifications = new NotificationsSource(_http, genesys, TimeProvider.System, log);
            archive = genesys.Backfill ? new TranscriptArchive(notifications.Rest, TimeProvider.System, log) : null;
            Source = notifications;
        }
        var spill = new SpillFile(Settings.SpillDirectory(config));
        Committer = new GroupCommitter(new EventStore.Appending.EventStore(_db, $"{Environment.MachineName}:{Environment.ProcessId}", _heads), log, TimeProvider.System, spill: spill);
        await ReplaySpilledAsync(spill, Committer, log).ConfigureAwait(false);
        var events = Source.Events().StartWith(Resumption.Gaps(open, DateTimeOffset.UtcNow));
        Recorder = new Recorder(events, Committer, pipeline, DefaultScheduler.Instance, log, archive, archive is null ? null : new RecordedFinals(_db));
        Daemon = new ProjectionDaemon(_db, TimeProvider.System, log);
        _background = Task.WhenAll(
            Daemon.RunAsync(_stop.Token),
            SignCheckpointsAsync(_db, _checkpointKey, _heads, TimeSpan.FromSeconds(Settings.Number(config, "Recorder:CheckpointSeconds", 60, 1, 86_400)), log, _stop.Token));

        RecorderMetrics.Observe(() => Recorder.Calls, () => Committer.Backlog, () => Daemon.Lag, () => Source.Connected);
        Endpoints.Map(_app, this);
        await _app.StartAsync().ConfigureAwait(false);
        Url = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    /// <summary>What an earlier stop spilled is appended before anything new; each file is deleted once its events are durable.</summary>
    private static async Task ReplaySpilledAsync(SpillFile spill, GroupCommitter committer, ILogger log)
    {
        foreach (var file in spill.Pending())
        {
            var events = SpillFile.Read(file);
            var commits = new Task<Appended>[events.Count];
            for (var i = 0; i < events.Count; i++)
            {
                commits[i] = await committer.EnqueueAsync(events[i]).ConfigureAwait(false);
            }
            var appended = await Task.WhenAll(commits).ConfigureAwait(false);
            File.Delete(file);
            log.LogWarning("Appended {Count} events spilled by an earlier stop from {File} ({Duplicates} were already recorded)",
                events.Count, file, appended.Count(a => a.Duplicate));
        }
    }

    private static async Task SignCheckpointsAsync(NpgsqlDataSource db, CheckpointKey key, AppendedHeads heads, TimeSpan every, ILogger log, CancellationToken ct)
    {
        // at start too: what the store holds now is anchored before anything is appended to it
        await SignOnceAsync(db, key, heads, log, ct).ConfigureAwait(false);
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(every, ct).ConfigureAwait(false);
            await SignOnceAsync(db, key, heads, log, ct).ConfigureAwait(false);
        }
    }

    internal static async Task SignOnceAsync(NpgsqlDataSource db, CheckpointKey key, AppendedHeads heads, ILogger log, CancellationToken ct)
    {
        try
        {
            var pass = await ChainCheckpoints.SignAsync(db, key, heads, ct).ConfigureAwait(false);
            log.LogDebug("Signed {Count} stream heads with key {KeyId}", pass.Signed, key.Id);
            foreach (var stream in pass.Refused)
            {
                log.LogError("Stream {StreamId} no longer holds the head this recorder appended; not signed, `verify` reports it", stream);
            }
            if (pass.Anchor is { } a)
            {
                // the operator's log is the outside witness of the newest anchor, which the store alone cannot vouch for
                log.LogInformation("Store anchored: {Events} events up to seq {MaxSeq}, signature {SignaturePrefix}", a.Events, a.MaxSeq, a.SignaturePrefix);
            }
        }
        catch (NpgsqlException e)
        {
            log.LogWarning("Signing checkpoints failed: {Error}", e.Message);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            log.LogWarning("Signing checkpoints was cut short; heads left unsigned are signed by the next pass or the next start");
        }
    }

    private async Task LastProjectionPassAsync()
    {
        if (Daemon is not { IsLeader: true })
        {
            return;
        }
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (await Daemon.StepAsync(bound.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // the store is down: the next leader projects them
        }
    }

    /// <summary>Stops taking frames, drains the pipeline, commits what was received, then stops the rest.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        if (Recorder is not null)
        {
            await Recorder.DisposeAsync().ConfigureAwait(false);
        }
        if (_db is not null && _checkpointKey is not null && _log is not null)
        {
            // the drain's last commits are signed now, not at a timer tick that never comes; bounded, as the store may be down
            using var signing = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await SignOnceAsync(_db, _checkpointKey, _heads, _log, signing.Token).ConfigureAwait(false);
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _background.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        // the drain above closed and committed the last metrics windows; project them now, not at some later start
        await LastProjectionPassAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
        _http?.Dispose();
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync().ConfigureAwait(false);
        }
        if (_db is not null)
        {
            await _db.DisposeAsync().ConfigureAwait(false);
        }
        if (_local is not null)
        {
            await _local.DisposeAsync().ConfigureAwait(false);
        }
        _stop.Dispose();
    }
}
