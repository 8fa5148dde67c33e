using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.Genesys;
using ComplianceRecorder.Recording;
using ComplianceRecorder.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ComplianceRecorder.Hosting;

/// <summary>
/// The standalone recorder: a web application built with <see cref="ComplianceRecorderServices"/>, on the
/// configuration it is given alone, with the private cluster and (in the demo) the emulator brought up
/// first. <c>demo</c> and <c>run</c> start it; so do the end-to-end tests, which read its parts.
/// </summary>
public sealed class RecorderHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly DevelopmentParts _parts;

    private RecorderHost(WebApplication app, DevelopmentParts parts)
    {
        _app = app;
        _parts = parts;
        Emulator = parts.Emulator;
    }

    /// <summary>In the audiohook demo, the emulator's AudioHook client.</summary>
    public Emulator.AudioHook.AudioHookPlayer? AudioHook => _parts.AudioHook;

    public IServiceProvider Services => _app.Services;

    public Uri Url { get; private set; } = null!;

    public GenesysEmulator? Emulator { get; }

    public RecordingSession Recording => Services.GetRequiredService<RecordingSession>();

    public Recorder Recorder => Recording.Recorder ?? throw new InvalidOperationException("the recording has not started");

    public ITranscriptSource Source => Recording.Source ?? throw new InvalidOperationException("the recording has not started");

    public GroupCommitter Committer => Services.GetRequiredService<GroupCommitter>();

    public ProjectionDaemon Daemon => Services.GetRequiredService<ProjectionDaemon>();

    public NpgsqlDataSource DataSource => Services.GetRequiredKeyedService<NpgsqlDataSource>(ComplianceRecorderServices.Key);

    public AccessControl Access => Services.GetRequiredService<AccessControl>();

    public IHostApplicationLifetime Lifetime => Services.GetRequiredService<IHostApplicationLifetime>();

    /// <summary>Builds and starts the host; <paramref name="logs"/> replaces the console's single-line logger.</summary>
    public static async Task<RecorderHost> StartAsync(IConfiguration config, bool demo, ILoggerProvider? logs = null)
    {
        var parts = await DevelopmentParts.StartAsync(config, demo, Console.Out).ConfigureAwait(false);
        WebApplication? app = null;
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            // exactly the configuration given (the verbs load appsettings.json, the environment and the command line), then the parts' addresses
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddConfiguration(config);
            builder.Configuration.AddInMemoryCollection(parts.Settings);
            builder.Logging.ClearProviders();
            if (logs is not null)
            {
                builder.Logging.AddProvider(logs);
            }
            else
            {
                builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            }
            builder.Logging.SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning).AddFilter("System.Net.Http", LogLevel.Warning)
                // a request without a key is answered 401 with its reason; a line per such request would only be noise
                .AddFilter("ComplianceRecorder.Web.ApiKeyAuthentication", LogLevel.Warning);
            builder.WebHost.UseUrls(builder.Configuration.GetSection(RecorderOptions.Section).Get<RecorderOptions>()?.Url ?? new RecorderOptions().Url);
            // registered first, so the host stops the emulator and the private cluster last
            builder.Services.AddSingleton<IHostedService>(parts);
            builder.AddStandaloneRecorder(demo);
            app = builder.Build();
            app.MapComplianceRecorder();
            var host = new RecorderHost(app, parts);
            await app.StartAsync().ConfigureAwait(false);
            host.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            parts.Listening(host.Url, app.Services.GetRequiredService<GenesysOptions>().AudioHook.Path);
            return host;
        }
        catch (Exception e)
        {
            if (app is not null)
            {
                // what did start (the projections, the signer) is stopped, not left running behind a failed start
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await app.StopAsync(bound.Token).ConfigureAwait(false);
                }
                catch (Exception stopping) when (stopping is OperationCanceledException or InvalidOperationException or AggregateException)
                {
                    // the start's own error is the one to report
                }
                await app.DisposeAsync().ConfigureAwait(false);
            }
            await parts.DisposeAsync().ConfigureAwait(false);
            if (AsSettingsError(e) is { } settings)
            {
                throw settings;
            }
            throw;
        }
    }

    /// <summary>A setting the options binder or validation refused, as the error the verbs report with exit code 3.</summary>
    private static SettingsException? AsSettingsError(Exception e) => e switch
    {
        OptionsValidationException v => new SettingsException(string.Join("; ", v.Failures)),
        // the binder has no exception of its own for a value of the wrong type; its message names the key
        InvalidOperationException b when b.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) => new SettingsException(b.Message),
        _ => null,
    };

    /// <summary>Completes when Ctrl+C, SIGTERM, or the recording ending on its own asks the host to stop.</summary>
    public Task StopRequested()
    {
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
        return stopping.Task;
    }

    /// <summary>Stops in the order that loses nothing (web, intake and drain, commit, sign, project, store), then releases it all.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
