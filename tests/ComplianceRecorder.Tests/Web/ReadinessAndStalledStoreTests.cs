using System.Net;
using System.Text.Json.Nodes;
using ComplianceRecorder.Hosting;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace ComplianceRecorder.Tests.Web;

/// <summary>
/// An idle recorder whose PostgreSQL goes away (stopped for real, or cut behind a TCP relay): readiness
/// must find out by itself, and reports must refuse in bounded time rather than hang or go unaudited.
/// </summary>
public sealed class ReadinessAndStalledStoreTests(PrivateCluster cluster) : IClassFixture<PrivateCluster>
{
    // the idle scenario's only call: one greeting, then an hour of silence
    private const string IdleCall = "1d1e0000-0000-4000-8000-000000000000";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Readiness_turns_503_with_the_store_unreachable_when_PostgreSQL_stops_under_an_idle_recorder()
    {
        var db = await NewDatabaseAsync("idle_readiness");
        var logs = new CapturedLogs();
        await using var host = await StartIdleAsync(db, logs);
        using var http = new HttpClient { BaseAddress = host.Url, Timeout = TimeSpan.FromSeconds(30) };
        // idle: the greeting and the metrics window that counted its final are committed, nothing more is coming
        await UntilAsync(async () => await ScalarAsync<long>(db, $"""
            SELECT count(*) FROM events w JOIN events s ON s.stream_id = '{IdleCall}' AND s.type = 'segment_recorded' AND (s.data->>'isFinal')::boolean
             WHERE w.type = 'metrics_window_closed' AND w.data->>'scope' = 'all' AND (w.data->>'windowEnd')::timestamptz > (s.data->>'receivedAt')::timestamptz
            """) > 0 && host.Recorder.Backlog == 0, "the greeting's metrics window committed");
        await UntilAsync(async () => (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, "ready before the stop");

        await cluster.Server.StopAsync();
        try
        {
            JsonNode? state = null;
            await UntilAsync(async () =>
            {
                using var ready = await http.GetAsync("/health/ready");
                state = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["checks"]!["compliance-recorder.store"];
                return ready.StatusCode == HttpStatusCode.ServiceUnavailable && state!["status"]!.GetValue<string>() == "unhealthy";
            }, "readiness reporting the store unreachable");

            Assert.False(string.IsNullOrEmpty(state!["description"]?.GetValue<string>()));
            // it was the probe that noticed: the idle recorder had nothing to append
            Assert.False(host.Recorder.StoreFailing, string.Join('\n', logs.Lines));
            Assert.Equal(0, host.Recorder.Backlog);
        }
        finally
        {
            await cluster.Server.RestartAsync();
        }
        await UntilAsync(async () => (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, "ready again after the start");
    }

    [Fact]
    public async Task While_appends_are_stalled_a_report_or_export_of_a_committed_call_answers_503_in_bounded_time_and_serves_nothing()
    {
        var db = await NewDatabaseAsync("stalled_reports");
        var target = new NpgsqlConnectionStringBuilder(db);
        await using var proxy = new TcpProxy(target.Host!, target.Port);
        await using var host = await StartIdleAsync(new NpgsqlConnectionStringBuilder(db) { Port = proxy.Port }.ConnectionString, new CapturedLogs());
        using var auditor = new HttpClient { BaseAddress = host.Url, Timeout = TimeSpan.FromSeconds(30) };
        auditor.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", host.Access.DemoKey);
        await UntilAsync(async () => await ScalarAsync<long>(db, $"SELECT count(*) FROM events WHERE stream_id = '{IdleCall}' AND type = 'segment_recorded'") > 0,
            "the idle call's greeting committed");
        var accessesBefore = await ScalarAsync<long>(db, "SELECT count(*) FROM events WHERE type = 'report_accessed'");

        proxy.Cut();
        try
        {
            using var report = await auditor.GetAsync($"/api/reports/audit?call={IdleCall}&format=csv");
            using var export = await auditor.GetAsync($"/api/calls/{IdleCall}/captions.vtt");

            foreach (var refused in new[] { report, export })
            {
                var body = await refused.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
                Assert.NotNull(refused.Headers.RetryAfter);
                Assert.Contains("did not commit", JsonNode.Parse(body)!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
                Assert.DoesNotContain("WEBVTT", body, StringComparison.Ordinal);
                Assert.DoesNotContain("conversation_id", body, StringComparison.Ordinal);
                Assert.DoesNotContain("thank you", body, StringComparison.OrdinalIgnoreCase);
            }
        }
        finally
        {
            // stopping the host waits for its store
            proxy.Restore();
        }
        // the refused attempts are still recorded once the store is back, and then the report is served
        await UntilAsync(async () => await ScalarAsync<long>(db, "SELECT count(*) FROM events WHERE type = 'report_accessed'") == accessesBefore + 2,
            "the two refused accesses recorded after the relay came back");
        var csv = await auditor.GetStringAsync($"/api/reports/audit?call={IdleCall}&format=csv");
        Assert.StartsWith("seq,recorded_at,conversation_id", csv, StringComparison.Ordinal);
    }

    private async Task<string> NewDatabaseAsync(string name)
    {
        await using (var admin = NpgsqlDataSource.Create(cluster.ConnectionString))
        {
            await using var create = admin.CreateCommand($"CREATE DATABASE {name}");
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(cluster.ImpatientConnectionString) { Database = name }.ConnectionString;
    }

    private static async Task<T> ScalarAsync<T>(string db, string sql)
    {
        await using var source = NpgsqlDataSource.Create(db);
        await using var cmd = source.CreateCommand(sql);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    private Task<RecorderHost> StartIdleAsync(string connectionString, CapturedLogs logs) =>
        RecorderHost.StartAsync(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:EventStore"] = connectionString,
            // migrations as the owner, straight to the server; the recorder's own login is what a test may cut
            ["ConnectionStrings:EventStoreOwner"] = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Database = new NpgsqlConnectionStringBuilder(connectionString).Database }.ConnectionString,
            ["Recorder:Url"] = "http://127.0.0.1:0",
            ["Recorder:CheckpointKey"] = Convert.ToBase64String(new byte[32]),
            // never the repository's .data/spill: a stop with the store down would hand its events to the next test
            ["Recorder:SpillDirectory"] = Path.Combine(Path.GetTempPath(), "cr-spill-" + Guid.NewGuid().ToString("N")),
            ["Recorder:ReportAccessTimeoutSeconds"] = "2",
            ["Recorder:MetricsWindowSeconds"] = "1",
            ["Emulator:Scenario"] = "idle:1",
            ["Emulator:Loop"] = "false",
        }).Build(), demo: true, logs: logs);

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"still waiting for {what} after {Patience.TotalSeconds} s");
            await Task.Delay(200);
        }
    }
}
