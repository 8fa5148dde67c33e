using System.Net;
using System.Text.Json.Nodes;
using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.Web;

/// <summary>The console's JSON over real HTTP against the demo's scripted calls.</summary>
public sealed class ConsoleApiTests(DemoHost demo) : IClassFixture<DemoHost>
{
    private const string FraudCall = "c0a80001-0000-4000-8000-000000000003";

    [Fact]
    public async Task The_call_list_is_filtered_searched_and_sorted_by_the_server()
    {
        await demo.CallsEndedAsync();
        using var viewer = demo.Client(DemoHost.ViewerKey);

        var all = await ListAsync(viewer, "");
        var found = await ListAsync(viewer, "?q=000000000003");
        var clean = await ListAsync(viewer, "?flag=CLEAN");
        var redacted = await ListAsync(viewer, "?flag=PII_REDACTED&sort=-redactions");
        var future = await ListAsync(viewer, "?from=" + Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O")));
        var noGaps = await ListAsync(viewer, "?gaps=false");

        Assert.Equal(demo.Host.Emulator!.Scenario.Calls.Count, all.Count);
        Assert.Equal(FraudCall, Assert.Single(found)["conversationId"]!.GetValue<string>());
        Assert.Equal(all.Count, clean.Count + redacted.Count);
        Assert.NotEmpty(redacted);
        Assert.All(redacted, c => Assert.True(c["redactions"]!.GetValue<int>() > 0));
        Assert.Equal(redacted.Select(c => c["redactions"]!.GetValue<int>()).OrderDescending(), redacted.Select(c => c["redactions"]!.GetValue<int>()));
        Assert.Empty(future);
        Assert.All(noGaps, c => Assert.Equal(0, c["gaps"]!.GetValue<int>()));
        var fraud = Assert.Single(all, c => c["conversationId"]!.GetValue<string>() == FraudCall);
        Assert.True(fraud["redactionsByType"]!.AsObject().Count > 0, fraud.ToJsonString());
        Assert.NotNull(fraud["endedAt"]);
        Assert.True(fraud["p50LatencyMs"]!.GetValue<double>() >= 0);
    }

    [Fact]
    public async Task Each_call_carries_the_queue_and_agent_id_Genesys_announced_it_with_and_filters_by_them_but_not_the_agents_name()
    {
        await demo.CallsEndedAsync();
        using var viewer = demo.Client(DemoHost.ViewerKey);

        var queue = await ListAsync(viewer, "?queue=7d3c1f52-demo-queue");
        var priya = await ListAsync(viewer, "?agent=c93a5d07-demo-agent-priya");
        var byName = await ListAsync(viewer, "?agent=priya");
        var nobody = await ListAsync(viewer, "?queue=another-queue");

        Assert.Equal(demo.Host.Emulator!.Scenario.Calls.Count, queue.Count);
        var fraud = Assert.Single(priya);
        Assert.Equal((FraudCall, "c93a5d07-demo-agent-priya"), (fraud["conversationId"]!.GetValue<string>(), fraud["agentId"]!.GetValue<string>()));
        // Recorder:KeepAgentNames is off: the announced name is personal data the store never took
        Assert.Null(fraud["agentName"]);
        Assert.Empty(byName);
        Assert.Empty(nobody);
    }

    [Theory]
    [InlineData("?gaps=maybe", "gaps")]
    [InlineData("?sort=loudest", "sort")]
    [InlineData("?agnet=maya", "agnet")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=abc", "limit")]
    [InlineData("?from=yesterday-ish", "from")]
    [InlineData("?flag=DIRTY", "flag")]
    [InlineData("?from=2026-11-02&to=2026-11-01", "to")]
    [InlineData("?queue=a&queue=b", "queue")]
    [InlineData("?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "from")]
    [InlineData("?from=2020-01-01T00:00:00Z", "from")]
    [InlineData("?to=2026-03-01T00:00:00Z", "to")]
    [InlineData("?sort=call&sort=-call", "sort")]
    public async Task A_bad_call_list_parameter_is_a_400_naming_it(string query, string named)
    {
        using var viewer = demo.Client(DemoHost.ViewerKey);

        using var response = await viewer.GetAsync("/api/console/calls" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!.GetValue<string>();
        Assert.True(error.StartsWith(named + " '", StringComparison.Ordinal) || error.StartsWith($"unknown parameter '{named}'", StringComparison.Ordinal), error);
    }

    [Theory]
    [InlineData("/api/console/metrics?from=soon", "from")]
    [InlineData("/api/console/metrics?window=5", "window")]
    [InlineData("/api/console/access?limit=-1", "limit")]
    [InlineData("/api/console/integrity?stream=x", "stream")]
    [InlineData("/api/console/calls/" + FraudCall + "?x=1", "x")]
    [InlineData("/api/console/metrics?from=2099-01-01T00:00:00Z", "from")]
    [InlineData("/api/console/metrics?from=2026-11-01&from=2026-11-02", "from")]
    [InlineData("/api/console/access?limit=5&limit=6", "limit")]
    public async Task A_bad_parameter_on_the_other_console_routes_is_a_400_naming_it(string path, string named)
    {
        using var auditor = demo.Client(DemoHost.AuditorKey);

        using var response = await auditor.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!.GetValue<string>();
        Assert.True(error.StartsWith(named + " '", StringComparison.Ordinal) || error.StartsWith($"unknown parameter '{named}'", StringComparison.Ordinal), error);
    }

    [Fact]
    public async Task A_call_id_longer_than_200_characters_is_refused_before_it_is_recorded_as_an_access()
    {
        using var auditor = demo.Client(DemoHost.AuditorKey);
        var id = new string('x', 201);

        using var timeline = await auditor.GetAsync($"/api/console/calls/{id}");
        using var verify = await auditor.PostAsync($"/api/console/calls/{id}/verify", null);

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (timeline.StatusCode, verify.StatusCode));
        Assert.StartsWith("id is 201 characters", JsonNode.Parse(await verify.Content.ReadAsStringAsync())!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0L, await demo.Database.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'report_accessed' AND data::text LIKE '%{id}%'"));
    }

    [Fact]
    public async Task A_calls_timeline_has_its_heard_stretches_latency_and_row()
    {
        await demo.CallsEndedAsync();
        using var viewer = demo.Client(DemoHost.ViewerKey);

        var timeline = JsonNode.Parse(await viewer.GetStringAsync($"/api/console/calls/{FraudCall}"))!;
        using var missing = await viewer.GetAsync("/api/console/calls/no-such-call");

        var finals = await demo.Database.ScalarAsync<long>($"SELECT count(*) FROM audit_log WHERE conversation_id = '{FraudCall}' AND is_final");
        Assert.Equal(FraudCall, timeline["call"]!["conversationId"]!.GetValue<string>());
        Assert.Equal(finals, timeline["stretches"]!.AsArray().Count(s => s!["kind"]!.GetValue<string>() is "heard" or "backfilled"));
        Assert.All(timeline["stretches"]!.AsArray(), s => Assert.True(s!["toMs"]!.GetValue<long>() >= s["fromMs"]!.GetValue<long>()));
        Assert.NotEmpty(timeline["latency"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Auditor_reads_are_recorded_as_accesses_before_they_are_served_and_refused_to_a_viewer()
    {
        await demo.CallsEndedAsync();
        using var viewer = demo.Client(DemoHost.ViewerKey);
        using var auditor = demo.Client(DemoHost.AuditorKey);
        var verifyPath = $"/api/console/calls/{FraudCall}/verify";

        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync(verifyPath, null)).StatusCode);
        foreach (var path in new[] { "/api/console/integrity", "/api/console/access" })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync(path)).StatusCode);
        }
        var verified = await PostJsonAsync(auditor, verifyPath);
        var integrity = JsonNode.Parse(await auditor.GetStringAsync("/api/console/integrity"))!;
        var log = JsonNode.Parse(await auditor.GetStringAsync("/api/console/access"))!.AsArray();

        Assert.True(verified["ok"]!.GetValue<bool>(), verified.ToJsonString());
        Assert.True(verified["events"]!.GetValue<long>() > 0);
        Assert.True(verified["signaturesChecked"]!.GetValue<bool>());
        Assert.NotNull(integrity["checkpoints"]);
        // the log's own read is recorded before it is served, so it lists itself, newest first
        Assert.Equal("/api/console/access", log[0]!["what"]!.GetValue<string>());
        Assert.Contains(log, a => a!["what"]!.GetValue<string>() == verifyPath && a["who"]!.GetValue<string>() == "test-auditor");
        Assert.Contains(log, a => a!["what"]!.GetValue<string>() == "/api/console/integrity");
        Assert.DoesNotContain(log, a => a!["who"]!.GetValue<string>() == "test-viewer");
        Assert.Equal(HttpStatusCode.NotFound, (await auditor.PostAsync("/api/console/calls/no-such-call/verify", null)).StatusCode);
    }

    [Fact]
    public async Task A_calls_verify_after_its_checkpoints_were_deleted_says_it_is_not_signed_to_its_head()
    {
        await demo.CallsEndedAsync();
        using var auditor = demo.Client(DemoHost.AuditorKey);
        const string call = "c0a80001-0000-4000-8000-000000000001";
        await using (var delete = demo.Database.OwnerDataSource.CreateCommand($"""
            SET session_replication_role = replica;
            DELETE FROM chain_checkpoints WHERE stream_id = '{call}';
            SET session_replication_role = origin;
            """))
        {
            await delete.ExecuteNonQueryAsync();
        }

        var verified = await PostJsonAsync(auditor, $"/api/console/calls/{call}/verify");

        Assert.False(verified["signedToHead"]?.GetValue<bool>() ?? true, verified.ToJsonString());
        Assert.Equal(0, verified["signedVersion"]!.GetValue<int>());
        Assert.Equal(verified["headVersion"]!.GetValue<int>(), (int)verified["events"]!.GetValue<long>());
    }

    [Fact]
    public async Task The_page_learns_its_role_from_the_session()
    {
        using var viewer = demo.Client(DemoHost.ViewerKey);
        using var auditor = demo.Client(DemoHost.AuditorKey);

        var v = JsonNode.Parse(await viewer.GetStringAsync("/api/console/me"))!;
        var a = JsonNode.Parse(await auditor.GetStringAsync("/api/console/me"))!;

        Assert.Equal(("test-viewer", "viewer"), (v["name"]!.GetValue<string>(), v["role"]!.GetValue<string>()));
        Assert.Equal(("test-auditor", "auditor"), (a["name"]!.GetValue<string>(), a["role"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Metrics_over_a_range_have_throughput_latency_and_redactions_by_type()
    {
        await demo.CallsEndedAsync();
        using var viewer = demo.Client(DemoHost.ViewerKey);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonNode metrics;
        // the metrics windows are projected after the fact by the daemon
        while ((metrics = JsonNode.Parse(await viewer.GetStringAsync("/api/console/metrics"))!)["series"]!.AsArray().Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "metrics windows were projected");
            await Task.Delay(200);
        }

        Assert.All(metrics["series"]!.AsArray(), p => Assert.True(p!["p99Ms"]!.GetValue<double>() >= p["p50Ms"]!.GetValue<double>()));
        Assert.True(metrics["series"]!.AsArray().Sum(p => p!["segmentsPerSecond"]!.GetValue<double>()) > 0);
        Assert.True(metrics["segmentsByRedaction"]!.AsObject().Count > 0);
    }

    [Fact]
    public async Task The_page_may_not_be_framed_and_a_get_cannot_verify_a_call_or_record_an_access()
    {
        using var auditor = demo.Client(DemoHost.AuditorKey);
        var before = await demo.Database.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'report_accessed'");

        using var page = await auditor.GetAsync("/");
        using var get = await auditor.GetAsync($"/api/console/calls/{FraudCall}/verify");

        Assert.Equal("frame-ancestors 'none'", Assert.Single(page.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("DENY", Assert.Single(page.Headers.GetValues("X-Frame-Options")));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal(before, await demo.Database.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'report_accessed'"));
    }

    private static async Task<JsonNode> PostJsonAsync(HttpClient client, string path)
    {
        using var response = await client.PostAsync(path, null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static async Task<List<JsonNode>> ListAsync(HttpClient client, string query) =>
        [.. JsonNode.Parse(await client.GetStringAsync("/api/console/calls" + query))!.AsArray().Select(n => n!)];
}
