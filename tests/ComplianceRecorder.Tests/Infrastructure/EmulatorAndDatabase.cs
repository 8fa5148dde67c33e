using ComplianceRecorder.Emulator;

namespace ComplianceRecorder.Tests.Infrastructure;

/// <summary>A fresh test database and an emulator playing the demo scenario once, fast, for a test that starts a recorder against them.</summary>
public abstract class EmulatorAndDatabase : IAsyncLifetime
{
    protected Database Db { get; } = new();

    protected GenesysEmulator Emulator { get; private set; } = null!;

    /// <summary>What `run` needs against them (<see cref="RecorderProcess.Settings"/>).</summary>
    protected Dictionary<string, string> Settings => RecorderProcess.Settings(Emulator, Db.ConnectionString);

    public async Task InitializeAsync()
    {
        await Db.InitializeAsync();
        Emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 20, Loop = false });
    }

    public async Task DisposeAsync()
    {
        await Emulator.DisposeAsync();
        await Db.DisposeAsync();
    }
}
