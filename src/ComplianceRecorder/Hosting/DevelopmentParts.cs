using System.Security.Cryptography;
using ComplianceRecorder.Development;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.Emulator.AudioHook;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace ComplianceRecorder.Hosting;

/// <summary>
/// What the standalone recorder brings up for itself before its host is built, because their addresses
/// are settings the host reads: the private PostgreSQL cluster when no connection string is set, and in
/// the demo the Genesys emulator. They are registered first, so the host stops them last, after the
/// recording has drained and committed. An embedding host configures a real store and Genesys instead.
/// </summary>
internal sealed class DevelopmentParts : IHostedService, IAsyncDisposable
{
    private LocalPostgres? _cluster;

    private DevelopmentParts()
    {
    }

    /// <summary>Settings that point the host at the parts started here.</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    public GenesysEmulator? Emulator { get; private set; }

    /// <summary>In the audiohook demo: the emulator's AudioHook client, started once the recorder listens.</summary>
    public AudioHookPlayer? AudioHook { get; private set; }

    private AudioHookCredentials? _audioHook;
    private EmulatorOptions? _emulatorOptions;

    public static async Task<DevelopmentParts> StartAsync(IConfiguration config, bool demo, TextWriter output)
    {
        var parts = new DevelopmentParts();
        try
        {
            var store = await ComplianceRecorder.Settings.EventStoreAsync(config, output).ConfigureAwait(false);
            if (store.Local is { } cluster)
            {
                parts._cluster = cluster;
                parts.Settings[StoreConnections.RecorderKey] = store.Recorder;
                parts.Settings[StoreConnections.OwnerKey] = store.Owner;
            }
            // development makes its own master key once; anything else must name one (MasterKeySettings)
            if ((demo || store.Local is not null) && !MasterKeySettings.Configured(config))
            {
                parts.Settings[MasterKeySettings.KeyFile] = MasterKeySettings.DevelopmentKeyFile();
            }
            if (demo)
            {
                await parts.StartEmulatorAsync(config, output).ConfigureAwait(false);
            }
            return parts;
        }
        catch
        {
            await parts.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartEmulatorAsync(IConfiguration config, TextWriter output)
    {
        var media = config["Genesys:Dialect"] == "media";
        var options = ComplianceRecorder.Settings.Emulator(config, loop: true);
        _emulatorOptions = options;
        if (config["Genesys:Dialect"] == "audiohook")
        {
            // the integration's key and secret, made for this run; the emulator signs with them as Genesys would
            _audioHook = new AudioHookCredentials(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)),
                Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), Guid.NewGuid().ToString());
            Settings["Genesys:AudioHook:ApiKey"] = _audioHook.ApiKey;
            Settings["Genesys:AudioHook:ClientSecret"] = _audioHook.ClientSecret;
            Settings["Genesys:AudioHook:ClientSecretFile"] = "";
            Settings["Genesys:AudioHook:OrganizationId"] = _audioHook.OrganizationId;
        }
        // media sessions are named up front, so the media demo plays its calls once
        Emulator = await GenesysEmulator.StartAsync(options with { Loop = options.Loop && !media }).ConfigureAwait(false);
        Settings["Genesys:LoginBaseUrl"] = Emulator.BaseUri.ToString();
        Settings["Genesys:ApiBaseUrl"] = Emulator.BaseUri.ToString();
        Settings["Genesys:ClientId"] = "emulator-client";
        Settings["Genesys:ClientSecret"] = "emulator-secret";
        Settings["Genesys:ClientSecretFile"] = "";
        Settings["Genesys:QueueIds:0"] = Emulator.Scenario.QueueId;
        if (media)
        {
            var calls = Emulator.Scenario.Calls;
            for (var i = 0; i < calls.Count; i++)
            {
                Settings[$"Genesys:MediaSessionIds:{i}"] = calls[i].ConversationId;
            }
        }
        await output.WriteLineAsync($"Genesys emulator on {Emulator.BaseUri} ({(_audioHook is not null ? "audiohook" : media ? "media" : "notifications")} dialect, speed x{options.Speed})").ConfigureAwait(false);
    }

    /// <summary>The audiohook demo's calls begin once the recorder listens (its address is known only then).</summary>
    public void Listening(Uri recorder, string path)
    {
        if (_audioHook is { } credentials && Emulator is { } emulator && _emulatorOptions is { } o)
        {
            var server = new UriBuilder(recorder) { Scheme = recorder.Scheme == "https" ? "wss" : "ws", Path = path }.Uri;
            AudioHook = AudioHookPlayer.Start(server, credentials, emulator.Scenario, o.Speed, o.Loop);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (AudioHook is { } player)
        {
            AudioHook = null;
            await player.DisposeAsync().ConfigureAwait(false);
        }
        if (Emulator is { } emulator)
        {
            Emulator = null;
            await emulator.DisposeAsync().ConfigureAwait(false);
        }
        if (_cluster is { } cluster)
        {
            _cluster = null;
            await cluster.DisposeAsync().ConfigureAwait(false);
        }
    }
}
