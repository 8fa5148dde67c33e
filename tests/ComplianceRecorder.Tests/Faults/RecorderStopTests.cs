using System.Text.RegularExpressions;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.Faults;

/// <summary>The recorder process gets SIGTERM in the middle of calls.</summary>
public sealed partial class RecorderStopTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task SIGTERM_mid_call_drains_commits_every_segment_the_pipeline_made_and_ends_each_open_call()
    {
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 2 });
        var settings = RecorderProcess.Settings(emulator, db.ConnectionString);
        var calls = emulator.Scenario.Calls.Count;
        await using var recorder = RecorderProcess.Start(settings);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await db.ScalarAsync<long>("SELECT count(DISTINCT stream_id) FROM events WHERE type = 'segment_recorded'") < calls)
        {
            Assert.True(DateTime.UtcNow < deadline, "no calls recorded; the recorder printed:\n" + recorder.Output);
            await Task.Delay(100);
        }

        Assert.Equal(0, await recorder.TerminateAsync(TimeSpan.FromSeconds(30)));

        // the last summary line is printed after the drain: its count is what the pipeline made and the store acknowledged
        var summary = Summary().Matches(recorder.Output).Last();
        var segments = long.Parse(summary.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(segments > 0);
        Assert.Equal(segments, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'segment_recorded' AND writer LIKE '%:{recorder.Id}'"));
        Assert.Equal((long)calls, await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended' AND data->>'reason' LIKE '%recorder stopped%'"));
        Assert.True((await ChainVerifier.VerifyAsync(db.DataSource)).Ok);
    }

    [GeneratedRegex(@"\| segments (\d+) \|")]
    private static partial Regex Summary();
}
