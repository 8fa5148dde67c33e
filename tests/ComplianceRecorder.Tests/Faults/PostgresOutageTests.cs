using System.Net;
using System.Text.Json.Nodes;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Hosting;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace ComplianceRecorder.Tests.Faults;

/// <summary>The recorder's own PostgreSQL server is stopped for ten seconds in the middle of calls, then started again.</summary>
public sealed class PostgresOutageTests(PrivateCluster cluster) : IClassFixture<PrivateCluster>
{
    [Fact]
    public async Task Every_received_segment_is_recorded_once_across_a_ten_second_stop_and_readiness_says_so_meanwhile()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:EventStore"] = cluster.ImpatientConnectionString,
            ["ConnectionStrings:EventStoreOwner"] = cluster.ConnectionString,
            ["Recorder:Url"] = "http://127.0.0.1:0",
            ["Recorder:CheckpointKey"] = Convert.ToBase64String(new byte[32]),
            // never the repository's .data/spill: a stop with the store down would hand its events to the next test
            ["Recorder:SpillDirectory"] = Path.Combine(Path.GetTempPath(), "cr-spill-" + Guid.NewGuid().ToString("N")),
            ["Emulator:Speed"] = "2",
            ["Emulator:Loop"] = "false",
        }).Build();
        await using var host = await RecorderHost.StartAsync(config, demo: true, logs: new CapturedLogs());
        using var http = new HttpClient { BaseAddress = host.Url };
        while (host.Recorder.Segments < 5)
        {
            await Task.Delay(50);
        }

        await cluster.Server.StopAsync();
        var notReady = 0;
        var largestBacklog = 0;
        var outage = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < outage)
        {
            var ready = await http.GetAsync("/health/ready");
            var checks = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["checks"]!;
            var store = checks["compliance-recorder.store"]!;
            if (ready.StatusCode == HttpStatusCode.ServiceUnavailable && store["status"]!.GetValue<string>() == "unhealthy")
            {
                notReady++;
            }
            largestBacklog = Math.Max(largestBacklog, checks["compliance-recorder.commits"]!["data"]!["backlog"]!.GetValue<int>());
            await Task.Delay(250);
        }
        await cluster.Server.RestartAsync();

        var calls = host.Emulator!.Scenario.Calls.Count;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && await cluster.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended'") < calls)
        {
            await Task.Delay(200);
        }

        Assert.True(notReady > 0, "readiness reported the store unreachable during the stop");
        Assert.True(largestBacklog > 0, "segments waited in the backlog");
        Assert.InRange(largestBacklog, 1, host.Committer.Capacity);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);
        var finalsSent = host.Emulator.Sent.GetValueOrDefault("final");
        Assert.Equal(host.Emulator.Scenario.Calls.Sum(c => c.Utterances.Count), finalsSent);
        Assert.Equal(finalsSent, (int)await cluster.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'segment_recorded' AND (data->>'isFinal')::boolean"));
        // partials whose redacted words are the same share a key by design, and the store keeps that revision once
        Assert.Equal(host.Recorder.Segments, await cluster.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'segment_recorded'"));
        // each final utterance once: as many distinct utterances as finals sent, so none doubled under another key and none lost
        Assert.Equal(finalsSent, (int)await cluster.ScalarAsync<long>("SELECT count(DISTINCT (stream_id, data->>'utteranceId')) FROM events WHERE type = 'segment_recorded' AND (data->>'isFinal')::boolean"));
        await using var db = NpgsqlDataSource.Create(cluster.ConnectionString);
        Assert.True((await ChainVerifier.VerifyAsync(db)).Ok);
    }
}
