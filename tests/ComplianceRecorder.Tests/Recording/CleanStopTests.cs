using ComplianceRecorder.Hosting;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Tests.Recording;

/// <summary>What a clean stop leaves behind.</summary>
public sealed class CleanStopTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task After_a_clean_stop_the_metrics_projection_holds_every_recorded_window()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:EventStore"] = db.ConnectionString,
            ["Recorder:Url"] = "http://127.0.0.1:0",
            ["Recorder:MetricsWindowSeconds"] = "1",
            ["Recorder:CheckpointKey"] = Convert.ToBase64String(new byte[32]),
            // never the repository's .data/spill: a stop with the store down would hand its events to the next test
            ["Recorder:SpillDirectory"] = Path.Combine(Path.GetTempPath(), "cr-spill-" + Guid.NewGuid().ToString("N")),
            ["Emulator:Speed"] = "4",
            ["Emulator:Loop"] = "false",
        }).Build();
        var host = await RecorderHost.StartAsync(config, demo: true, logs: new CapturedLogs());
        await using (host)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (host.Recorder.Segments < 5)
            {
                Assert.True(DateTime.UtcNow < deadline, "nothing recorded");
                await Task.Delay(50);
            }
        }

        // the stop's drain closed the open windows; they are projected before the daemon stops
        Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'metrics_window_closed'") > 0);
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM events e
             WHERE e.type = 'metrics_window_closed'
               AND NOT EXISTS (SELECT 1 FROM metrics_windows w WHERE w.scope = e.data->>'scope' AND w.window_start = (e.data->>'windowStart')::timestamptz)
            """));
    }
}
