using ComplianceRecorder.Emulator;
using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.Hosting;

/// <summary>A wrong setting stops `run` before anything starts, with exit code 3 and the key named.</summary>
public sealed class StartupSettingsTests : IAsyncLifetime
{
    private readonly Database _db = new();
    private GenesysEmulator _emulator = null!;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        _emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 20, Loop = false });
    }

    public async Task DisposeAsync()
    {
        await _emulator.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Theory]
    [InlineData("Recorder:MetricsWindowSeconds", "0")]
    [InlineData("Recorder:CallIdleSeconds", "a while")]
    [InlineData("Auth:SessionHours", "-1")]
    [InlineData("Genesys:MaxChannels", "21")]
    [InlineData("Genesys:Dialect", "smoke-signals")]
    [InlineData("Auth:Keys:0:Role", "owner")]
    public async Task A_wrong_setting_fails_the_start_with_exit_code_3_naming_its_key(string key, string value)
    {
        var settings = RecorderProcess.Settings(_emulator, _db.ConnectionString);
        settings[key] = value;

        await using var recorder = RecorderProcess.Start(settings);
        var code = await recorder.ExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(code == 3, $"exit code {code}; the recorder printed:\n{recorder.Output}");
        Assert.Contains(key, recorder.Output, StringComparison.Ordinal);
        Assert.Contains("configuration error", recorder.Output, StringComparison.Ordinal);
        // nothing started: no event was appended, not even an anchor's worth of work
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM events"));
    }
}
