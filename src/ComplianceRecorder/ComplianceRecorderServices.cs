using System.Reactive.Concurrency;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Encryption;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Genesys.AudioHook;
using ComplianceRecorder.Genesys.Speech;
using ComplianceRecorder.Health;
using ComplianceRecorder.Hosting;
using ComplianceRecorder.ReadSide;
using ComplianceRecorder.Recording;
using ComplianceRecorder.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ComplianceRecorder;

/// <summary>
/// The recorder as services of a .NET host: <c>builder.AddComplianceRecorder()</c> (or
/// <c>builder.Services.AddComplianceRecorder(builder.Configuration)</c>) then <c>app.MapComplianceRecorder()</c>.
/// Settings that are wrong fail the start naming their key.
/// </summary>
public static class ComplianceRecorderServices
{
    /// <summary>
    /// The key of the recorder's own services (its store connection, its scheduler), so that a host's
    /// <c>NpgsqlDataSource</c> or <c>IScheduler</c> and the recorder's never stand in for each other.
    /// </summary>
    public const string Key = "ComplianceRecorder";

    /// <summary>The recorder's health checks carry this tag; /health/ready runs those and no others.</summary>
    public const string ReadyTag = "compliance-recorder.ready";

    /// <summary>
    /// The recorder's services and hosted services: the store, the Genesys source, the recording, the
    /// projection daemon, the checkpoint signer, authentication and health checks. The hosted services
    /// start in the order they are added here and the host stops them in reverse, which is the order that
    /// loses nothing: stop intake, drain the pipeline, commit, sign, project, then the store closes.
    /// The host's own authentication defaults, fallback policy, shutdown timeout and telemetry are left as they are.
    /// </summary>
    public static IServiceCollection AddComplianceRecorder(this IServiceCollection services, IConfiguration config) =>
        services.AddRecorder(config, demo: false, standalone: false);

    /// <summary>
    /// As <see cref="AddComplianceRecorder(IServiceCollection, IConfiguration)"/>, in the spirit of a
    /// ServiceDefaults project: the recorder's meter and activity source join the host's OpenTelemetry.
    /// </summary>
    public static TBuilder AddComplianceRecorder<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddComplianceRecorder(builder.Configuration);
        Telemetry.AddSources(builder.Services);
        return builder;
    }

    /// <summary>
    /// The standalone recorder (demo and run), whose whole app is the recorder's: its API-key scheme is the
    /// default, a route that names no policy is auditor-only, the stop is bounded by Recorder:ShutdownSeconds,
    /// and /metrics serves Prometheus (OTLP too when configured).
    /// </summary>
    /// <param name="demo">With no API keys configured, make one auditor key for this run (the demo's).</param>
    internal static TBuilder AddStandaloneRecorder<TBuilder>(this TBuilder builder, bool demo) where TBuilder : IHostApplicationBuilder
    {
        Telemetry.Add(builder.Services, builder.Configuration);
        builder.Services.AddRecorder(builder.Configuration, demo, standalone: true);
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<RecorderOptions>>((host, recorder) => host.ShutdownTimeout = TimeSpan.FromSeconds(recorder.Value.ShutdownSeconds));
        return builder;
    }

    /// <param name="demo">With no API keys configured, make one auditor key for this run (the demo's).</param>
    /// <param name="standalone">The whole app is the recorder's (see <see cref="Policies.Add"/>).</param>
    private static IServiceCollection AddRecorder(this IServiceCollection services, IConfiguration config, bool demo, bool standalone)
    {
        services.AddOptions<RecorderOptions>().Bind(config.GetSection(RecorderOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuthOptions>().Bind(config.GetSection(AuthOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RetentionOptions>().Bind(config.GetSection(RetentionOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<InstanceOptions>().Bind(config.GetSection(InstanceOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<HostOptions>, SequentialHostOptions>();
        services.AddOptions<HostOptions>().ValidateOnStart();
        services.TryAddSingletonTimeProvider();
        services.AddKeyedSingleton<IScheduler>(Key, DefaultScheduler.Instance);

        // what is read from configuration alone is read now, so a wrong value stops the start here, naming its key
        var store = StoreConnections.From(config);
        var genesys = Settings.Genesys(config, requireCredentials: !demo);
        // the standalone recorder makes a key in its data folder once; an embedding host names its own, as a
        // key made afresh in a container at every start could not verify what the last one signed
        var keys = standalone ? Settings.CheckpointKeys(config) : Settings.ConfiguredCheckpointKeys(config);
        var spill = new SpillFile(Settings.SpillDirectory(config));
        var access = AccessControl.FromConfiguration(config, demo);
        // a host that registers its own IMasterKeyProvider (backed by its KMS) needs no master key in configuration
        if (!services.Any(d => d.ServiceType == typeof(IMasterKeyProvider)))
        {
            services.AddSingleton<IMasterKeyProvider>(MasterKeySettings.From(config));
        }

        services.AddSingleton(store);
        services.AddSingleton<IValidateOptions<RecorderOptions>>(new CommitPoolFits(new NpgsqlConnectionStringBuilder(store.Recorder).MaxPoolSize));
        services.AddKeyedSingleton(Key, (_, _) => NpgsqlDataSource.Create(store.Recorder));
        services.AddSingleton<AppendedHeads>();
        services.AddSingleton(keys);
        services.AddSingleton(sp => new DataKeys(sp.GetRequiredKeyedService<NpgsqlDataSource>(Key), sp.GetRequiredService<IMasterKeyProvider>()));
        services.AddSingleton(sp => new StoredText(sp.GetRequiredKeyedService<NpgsqlDataSource>(Key), sp.GetRequiredService<IMasterKeyProvider>()));
        // the instance's name is its events' writer, and its lease fences its appends (#15)
        // (read from configuration, not the validated options: a bad Recorder:Instance value must fail the start's
        // validation, not the resolution of the hosted services)
        services.AddSingleton(_ => new WriterLease(InstanceOptions.NameOrDefault(config[$"{InstanceOptions.Section}:Name"])));
        services.AddSingleton(sp => new GroupCommitter(
            new EventStore.Appending.EventStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(Key), sp.GetRequiredService<WriterLease>().Name, sp.GetRequiredService<AppendedHeads>(), sp.GetRequiredService<DataKeys>(), sp.GetRequiredService<WriterLease>()),
            sp.GetRequiredService<ILogger<GroupCommitter>>(), sp.GetRequiredService<TimeProvider>(), spill: spill,
            connections: sp.GetRequiredService<IOptions<RecorderOptions>>().Value.CommitConnections));
        services.AddSingleton(sp => new AdminStore(new EventStore.Appending.EventStore(
            sp.GetRequiredKeyedService<NpgsqlDataSource>(Key), $"{Environment.MachineName}:{Environment.ProcessId}:admin", sp.GetRequiredService<AppendedHeads>(), sp.GetRequiredService<DataKeys>())));
        services.AddSingleton<RetentionJob>();
        services.AddSingleton(sp => new ProjectionDaemon(
            sp.GetRequiredKeyedService<NpgsqlDataSource>(Key), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ProjectionDaemon>>()));

        services.AddSingleton(genesys);
        // retries (429 with Retry-After, 5xx, timeouts) are GenesysRest's own Polly pipeline on the injected
        // TimeProvider: a host's standard resilience handler (ConfigureHttpClientDefaults) would multiply
        // them and cut Genesys:RequestTimeoutSeconds short, so this client carries none
#pragma warning disable EXTEXP0001 // evaluation API; the alternative is a client the host's defaults reach
        services.AddHttpClient(RecordingSession.HttpClientName, c => c.Timeout = genesys.RequestTimeout).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        if (genesys.Dialect == "audiohook")
        {
            AddAudioHook(services, genesys.AudioHook);
        }

        services.AddSingleton<LiveCaptions>();
        services.AddSingleton<IObservable<Caption>>(sp => sp.GetRequiredService<LiveCaptions>());
        services.AddSingleton<RecordingSession>();
        services.AddSingleton<InstanceMembership>();

        // start order; the host stops them in reverse
        services.AddHostedService<StoreSchema>();
        // joins before anything appends, leaves after the last commit
        services.AddHostedService(sp => sp.GetRequiredService<InstanceMembership>());
        services.AddHostedService<Projecting>();
        services.AddHostedService<CheckpointSigning>();
        services.AddHostedService(sp => sp.GetRequiredService<RecordingSession>());
        services.AddHostedService(sp => sp.GetRequiredService<RetentionJob>());

        services.AddSingleton(access);
        services.AddSingleton<AccessAudit>();
        services.AddSingleton(sp => new Sessions(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromHours(sp.GetRequiredService<IOptions<AuthOptions>>().Value.SessionHours)));
        Policies.Add(services, standalone);
        services.AddSingleton(sp => new StoreProbe(sp.GetRequiredKeyedService<NpgsqlDataSource>(Key), sp.GetRequiredService<TimeProvider>()));
        services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>("compliance-recorder.store", tags: [ReadyTag])
            .AddCheck<GenesysHealthCheck>("compliance-recorder.genesys", tags: [ReadyTag])
            .AddCheck<CommitBacklogHealthCheck>("compliance-recorder.commits", tags: [ReadyTag])
            .AddCheck<ProjectionHealthCheck>("compliance-recorder.projections", tags: [ReadyTag]);
        services.AddOpenApi();
        return services;
    }

    /// <summary>
    /// The AudioHook server's source, with the host's own <see cref="ISpeechRecognizer"/> if it registered one
    /// (a better engine), else the embedded PocketSphinx, whose model is checked now.
    /// </summary>
    private static void AddAudioHook(IServiceCollection services, AudioHookOptions options)
    {
        if (!services.Any(d => d.ServiceType == typeof(ISpeechRecognizer)))
        {
            try
            {
                services.AddSingleton<ISpeechRecognizer>(new PocketSphinxRecognizer(options.Model));
            }
            catch (ArgumentException e)
            {
                throw new SettingsException($"Genesys:AudioHook:Model: {e.Message}");
            }
        }
        services.AddSingleton(sp => new AudioHookSource(options with { CallIdle = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<RecorderOptions>>().Value.CallIdleSeconds) }, sp.GetRequiredService<ISpeechRecognizer>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AudioHookSource>>()));
    }

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        // a host's TimeProvider (a FakeTimeProvider in its tests) is the recorder's too: time is injected once
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}
