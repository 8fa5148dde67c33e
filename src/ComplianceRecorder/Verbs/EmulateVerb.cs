using ComplianceRecorder.Emulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace ComplianceRecorder.Verbs;

/// <summary>
/// The Genesys emulator on its own, for trying `run` against it or for load runs that keep the
/// emulator's work out of the recorder's process: `emulate --Emulator:Scenario=load:1000:60`.
/// </summary>
internal static class EmulateVerb
{
    public static async Task<int> RunAsync(IConfiguration config)
    {
        var options = Settings.Emulator(config, loop: false);
        var port = Settings.Number(config, "Emulator:Port", 0, 0, 65535);
        // the Generic Host's console lifetime turns Ctrl+C and SIGTERM into a stop, which closes the emulator's sockets
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<IHostLifetime, ConsoleLifetime>();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.AddHostedService(_ => new Emulating(options, port));
        using var host = builder.Build();
        await host.RunAsync().ConfigureAwait(false);
        return 0;
    }

    private sealed class Emulating(EmulatorOptions options, int port) : IHostedService
    {
        private GenesysEmulator? _emulator;

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            _emulator = await GenesysEmulator.StartAsync(options, port).ConfigureAwait(false);
            Console.WriteLine($"Genesys emulator on {_emulator.BaseUri} (scenario {options.Scenario}: {_emulator.Scenario.Calls.Count} calls on queue {_emulator.Scenario.QueueId}, speed x{options.Speed})");
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (_emulator is not null)
            {
                await _emulator.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
