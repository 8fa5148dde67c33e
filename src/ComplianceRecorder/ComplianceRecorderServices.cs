using System.Reactive.Concurrency;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Genesys;
using ComplianceRecorder.Health;
using ComplianceRecorder.Hosting;
using ComplianceRecorder.ReadSide;
using ComplianceRecorder.Recording;
using ComplianceRecorder.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ComplianceRecorder;

/// <summary>
/// The recorder as services of a .NET host: <c>builder.Services.AddComplianceRecorder(builder.Configuration)</c>
/// then <c>app.MapComplianceRecorder()</c>. Settings that are wrong fail the start naming their key.
/// </summary>
public static class ComplianceRecorderServices
{
    /// <summary>Health checks that decide /health/ready carry this tag.</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// The recorder's services and hosted services: the store, the Genesys source, the recording, the
    /// projection daemon, the checkpoint signer, authentication and health checks. The hosted services
    /// start in the order they are added here and the host stops them in reverse, which is the order that
    /// loses nothing: stop intake, drain the pipeline, commit, sign, project, then the store closes.
    /// </summary>
    public static IServiceCollection AddComplianceRecorder(this IServiceCollection services, IConfiguration config) =>
        services.AddRecorder(config, demo: false, standalone: false);

    /// <param name="demo">With no API keys configured, make one auditor key for this run (the demo's).</param>
    /// <param name="standalone">The whole app is the recorder's (see <see cref="Policies.Add"/>).</param>
    private static IServiceCollection AddRecorder(this IServiceCollection services, IConfiguration config, bool demo, bool standalone)
    {
        services.AddOptions<RecorderOptions>().Bind(config.GetSection(RecorderOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuthOptions>().Bind(config.GetSection(AuthOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IScheduler>(DefaultScheduler.Instance);

        // what is read from configuration alone is read now, so a wrong value stops the start here, naming its key
        var store = StoreConnections.From(config);
        var genesys = Settings.Genesys(config, requireCredentials: !demo);
        var keys = Settings.CheckpointKeys(config);
        var spill = new SpillFile(Settings.SpillDirectory(config));
        var access = AccessControl.FromConfiguration(config, demo);

        services.AddSingleton(store);
        services.AddSingleton(_ => NpgsqlDataSource.Create(store.Recorder));
        services.AddSingleton<AppendedHeads>();
        services.AddSingleton(keys);
        services.AddSingleton(sp => new GroupCommitter(
            new EventStore.Appending.EventStore(sp.GetRequiredService<NpgsqlDataSource>(), $"{Environment.MachineName}:{Environment.ProcessId}", sp.GetRequiredService<AppendedHeads>()),
            sp.GetRequiredService<ILogger<GroupCommitter>>(), sp.GetRequiredService<TimeProvider>(), spill: spill));
        services.AddSingleton(sp => new ProjectionDaemon(
            sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ProjectionDaemon>>()));

        services.AddSingleton(genesys);
        // retries (429 with Retry-After, 5xx, timeouts) are GenesysRest's own Polly pipeline on the injected
        // TimeProvider; a second, standard handler here would multiply them
        services.AddHttpClient(RecordingSession.HttpClientName, c => c.Timeout = genesys.RequestTimeout);

        services.AddSingleton<LiveCaptions>();
        services.AddSingleton<IObservable<Caption>>(sp => sp.GetRequiredService<LiveCaptions>());
        services.AddSingleton<RecordingSession>();

        // start order; the host stops them in reverse
        services.AddHostedService<StoreSchema>();
        services.AddHostedService<Projecting>();
        services.AddHostedService<CheckpointSigning>();
        services.AddHostedService(sp => sp.GetRequiredService<RecordingSession>());

        services.AddSingleton(access);
        services.AddSingleton<AccessAudit>();
        services.AddSingleton(sp => new Sessions(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromHours(sp.GetRequiredService<IOptions<AuthOptions>>().Value.SessionHours)));
        Policies.Add(services, standalone);
        services.AddSingleton(sp => new StoreProbe(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>("store", tags: [ReadyTag])
            .AddCheck<GenesysHealthCheck>("genesys", tags: [ReadyTag])
            .AddCheck<CommitBacklogHealthCheck>("commits", tags: [ReadyTag]);
        services.AddOpenApi();
        return services;
    }

    /// <summary>
    /// The standalone recorder's defaults, in the spirit of a ServiceDefaults project: OpenTelemetry
    /// (Prometheus at /metrics, OTLP when configured), then the recorder's services, its API-key scheme as
    /// the app's default and auditor-only as the fallback for any route that names no policy.
    /// </summary>
    /// <param name="demo">With no API keys configured, make one auditor key for this run (the demo's).</param>
    public static TBuilder AddComplianceRecorder<TBuilder>(this TBuilder builder, bool demo = false) where TBuilder : IHostApplicationBuilder
    {
        Telemetry.Add(builder.Services, builder.Configuration);
        builder.Services.AddRecorder(builder.Configuration, demo, standalone: true);
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<RecorderOptions>>((host, recorder) => host.ShutdownTimeout = TimeSpan.FromSeconds(recorder.Value.ShutdownSeconds));
        return builder;
    }
}
