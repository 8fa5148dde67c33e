using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.Hosting;

/// <summary>A wrong setting stops `run` before anything starts, with exit code 3 and the key named.</summary>
public sealed class StartupSettingsTests : EmulatorAndDatabase
{
    [Theory]
    [InlineData("Recorder:MetricsWindowSeconds", "0")]
    [InlineData("Recorder:CallIdleSeconds", "a while")]
    [InlineData("Auth:SessionHours", "-1")]
    [InlineData("Genesys:MaxChannels", "21")]
    [InlineData("Genesys:Dialect", "smoke-signals")]
    [InlineData("Auth:Keys:0:Role", "owner")]
    [InlineData("Auth:Keys:0:Role", "2")]
    [InlineData("Auth:Keys:0:Role", "viewer, auditor")]
    [InlineData("Recorder:MasterKey", "")]
    [InlineData("Recorder:MasterKey", "c2hvcnQ=")]
    [InlineData("Retention:IntervalMinutes", "0")]
    [InlineData("Recorder:CommitConnections", "0")]
    [InlineData("Recorder:Instance:Mode", "primary-backup")]
    [InlineData("Recorder:Instance:LeaseSeconds", "1")]
    [InlineData("Recorder:Instance:HeartbeatSeconds", "0")]
    public async Task A_wrong_setting_fails_the_start_with_exit_code_3_naming_its_key(string key, string value)
    {
        var settings = Settings;
        settings[key] = value;

        await using var recorder = RecorderProcess.Start(settings);
        var code = await recorder.ExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(code == 3, $"exit code {code}; the recorder printed:\n{recorder.Output}");
        Assert.Contains(key, recorder.Output, StringComparison.Ordinal);
        Assert.Contains("configuration error", recorder.Output, StringComparison.Ordinal);
        // nothing started: no event was appended, not even an anchor's worth of work
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM events"));
    }

    [Fact]
    public async Task A_store_whose_data_keys_another_master_key_wrapped_fails_the_start_with_exit_code_3_naming_the_master_key()
    {
        // a call sealed under the database's own master key; the recorder is started with another
        var call = "call-" + Guid.NewGuid().ToString("N")[..8];
        await Db.SealingStore().AppendAsync([new global::ComplianceRecorder.EventStore.Appending.PendingEvent(
            global::ComplianceRecorder.Tests.EventStore.EventStoreTests.Segment(call, "u1", 1, true, "sealed under the first key", 0))]);
        var settings = Settings;
        settings["Recorder:MasterKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

        await using var recorder = RecorderProcess.Start(settings);
        var code = await recorder.ExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(code == 3, $"exit code {code}; the recorder printed:\n{recorder.Output}");
        Assert.Contains("Recorder:MasterKey", recorder.Output, StringComparison.Ordinal);
        Assert.Contains(global::ComplianceRecorder.EventStore.Encryption.LocalMasterKeys.IdOf(Db.MasterKey), recorder.Output, StringComparison.Ordinal);
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type IN ('call_started', 'call_ended', 'coverage_gap_recorded')"));
    }

    [Fact]
    public async Task An_address_already_in_use_fails_the_start_with_exit_code_3_naming_Recorder_Url_and_records_nothing()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var settings = Settings;
        settings["Recorder:Url"] = $"http://127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}";

        await using var recorder = RecorderProcess.Start(settings);
        var code = await recorder.ExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(code == 3, $"exit code {code}; the recorder printed:\n{recorder.Output}");
        Assert.Contains("Recorder:Url", recorder.Output, StringComparison.Ordinal);
        // intake begins only once the web server has bound: no call was followed, so none was ended by the failed start
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type IN ('call_started', 'segment_recorded', 'call_ended')"));
    }
}
