using ComplianceRecorder.Emulator;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Verbs;

/// <summary>
/// The Genesys emulator on its own, for trying `run` against it or for load runs that keep the
/// emulator's work out of the recorder's process: `emulate --Emulator:Scenario=load:1000:60`.
/// </summary>
internal static class EmulateVerb
{
    public static async Task<int> RunAsync(IConfiguration config)
    {
        var options = new EmulatorOptions
        {
            Scenario = config["Emulator:Scenario"] is { Length: > 0 } sc ? sc : "demo",
            Speed = Settings.Number(config, "Emulator:Speed", 1.0, 0.01, 1000),
            Seed = Settings.Number(config, "Emulator:Seed", 42, int.MinValue, int.MaxValue),
            Loop = Settings.Flag(config, "Emulator:Loop", false),
        };
        var port = Settings.Number(config, "Emulator:Port", 0, 0, 65535);
        using var stop = new CancellationTokenSource();
        using var signals = new StopSignals(stop);

        await using var emulator = await GenesysEmulator.StartAsync(options, port).ConfigureAwait(false);
        Console.WriteLine($"Genesys emulator on {emulator.BaseUri} (scenario {options.Scenario}: {emulator.Scenario.Calls.Count} calls on queue {emulator.Scenario.QueueId}, speed x{options.Speed})");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }
}
