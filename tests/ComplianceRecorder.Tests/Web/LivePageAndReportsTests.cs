using System.Net;
using System.Text.Json.Nodes;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Playwright;

namespace ComplianceRecorder.Tests.Web;

/// <summary>The recorder's web surface over real HTTP, and its page in a real Chromium.</summary>
public sealed class LivePageAndReportsTests(DemoHost demo) : IClassFixture<DemoHost>
{
    private const string FraudCall = "c0a80001-0000-4000-8000-000000000003";

    [Fact]
    public async Task Every_endpoint_but_health_wants_a_key_and_reports_want_an_auditor()
    {
        using var anonymous = demo.Client(null);
        using var viewer = demo.Client(DemoHost.ViewerKey);
        using var wrong = demo.Client("not-a-key");

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/calls")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/calls")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/calls")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/api/reports/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task Prometheus_scrapes_latency_histograms_in_seconds_and_the_hosts_gauges_without_a_key_or_a_call_id()
    {
        await demo.CallsEndedAsync();
        using var anonymous = demo.Client(null);

        var text = await anonymous.GetStringAsync("/metrics");

        Assert.Contains("recorder_segment_receive_to_durable_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("le=\"0.005\"", text, StringComparison.Ordinal);
        Assert.Matches(@"recorder_segments_total\{[^}]*final=""true""[^}]*\} [1-9]", text);
        Assert.Contains("recorder_commit_backlog", text, StringComparison.Ordinal);
        Assert.Contains("recorder_genesys_connected", text, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_", text, StringComparison.Ordinal);
        Assert.DoesNotContain(FraudCall, text, StringComparison.Ordinal);
        Assert.DoesNotContain("conversation", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_audit_export_streams_csv_of_the_projection_and_is_itself_recorded_as_an_access()
    {
        await demo.CallsEndedAsync();
        using var auditor = demo.Client(DemoHost.AuditorKey);

        var csv = await auditor.GetStringAsync($"/api/reports/audit?call={FraudCall}&format=csv");

        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("seq,recorded_at,conversation_id,channel", lines[0], StringComparison.Ordinal);
        Assert.Equal(await demo.Database.ScalarAsync<long>($"SELECT count(*) FROM audit_log WHERE conversation_id = '{FraudCall}'"), lines.Length - 1);
        Assert.Contains(lines, l => l.Contains("PII_REDACTED", StringComparison.Ordinal));
        Assert.Equal(1L, await demo.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM events WHERE type = 'report_accessed' AND data->>'who' = 'test-auditor' AND data->>'query' = 'call={FraudCall}'"));
    }

    [Fact]
    public async Task Calls_and_metrics_reports_come_as_json_lines_and_a_bad_filter_is_a_clear_400()
    {
        await demo.CallsEndedAsync();
        using var auditor = demo.Client(DemoHost.AuditorKey);

        var calls = (await auditor.GetStringAsync("/api/reports/calls")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(demo.Host.Emulator!.Scenario.Calls.Count, calls.Count);
        Assert.All(calls, c => Assert.True(c["finals"]!.GetValue<int>() > 0));

        var bad = await auditor.GetAsync("/api/reports/audit?from=yesterday-ish");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("from", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_consumer_reconnecting_with_Last_Event_ID_gets_every_final_it_missed()
    {
        await demo.CallsEndedAsync();
        using var viewer = demo.Client(DemoHost.ViewerKey);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/captions/stream?call={FraudCall}");
        request.Headers.Add("Last-Event-ID", "0");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await viewer.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        await using var body = await response.Content.ReadAsStreamAsync(cts.Token);
        using var reader = new StreamReader(body);
        var expected = await demo.Database.ScalarAsync<long>($"SELECT count(*) FROM audit_log WHERE conversation_id = '{FraudCall}' AND is_final");

        var finals = new List<JsonNode>();
        while (finals.Count < expected && await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal) && JsonNode.Parse(line[6..]) is { } c && c["kind"]!.GetValue<string>() == "segment")
            {
                finals.Add(c);
            }
        }

        Assert.Equal(expected, finals.Count);
        Assert.All(finals, f => Assert.True(f["isFinal"]!.GetValue<bool>()));
        Assert.Equal(finals.Select(f => f["seq"]!.GetValue<long>()).Order(), finals.Select(f => f["seq"]!.GetValue<long>()));
        Assert.DoesNotContain(finals, f => f["text"]!.GetValue<string>().Contains("5555 5555", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_WebSocket_feed_resumes_after_a_sequence_number_and_wants_a_key()
    {
        await demo.CallsEndedAsync();
        var ws = new UriBuilder(demo.Url) { Scheme = "ws", Path = "/api/captions/ws", Query = $"call={FraudCall}&after=0" }.Uri;
        using (var anonymous = new System.Net.WebSockets.ClientWebSocket())
        {
            await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => anonymous.ConnectAsync(ws, CancellationToken.None));
        }
        using var client = new System.Net.WebSockets.ClientWebSocket();
        client.Options.SetRequestHeader("Authorization", "Bearer " + DemoHost.ViewerKey);
        await client.ConnectAsync(ws, CancellationToken.None);
        var expected = await demo.Database.ScalarAsync<long>($"SELECT count(*) FROM audit_log WHERE conversation_id = '{FraudCall}' AND is_final");

        var finals = 0;
        var buffer = new byte[64 * 1024];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (finals < expected)
        {
            var r = await client.ReceiveAsync(buffer, cts.Token);
            var caption = JsonNode.Parse(System.Text.Encoding.UTF8.GetString(buffer, 0, r.Count))!;
            Assert.Equal(FraudCall, caption["conversationId"]!.GetValue<string>());
            finals += caption["kind"]!.GetValue<string>() == "segment" && caption["isFinal"]!.GetValue<bool>() ? 1 : 0;
        }

        Assert.Equal(expected, finals);
    }

    [Fact]
    public async Task Logs_of_a_run_over_dictated_cards_hold_no_transcript_text_no_pii_and_no_secrets()
    {
        await demo.CallsEndedAsync();
        using var auditor = demo.Client(DemoHost.AuditorKey);
        await auditor.GetStringAsync("/api/reports/audit?format=csv");
        demo.Host.Emulator!.DropSockets();
        await Task.Delay(1500);

        var logs = string.Join('\n', demo.Logs.Lines);
        Assert.Contains("Genesys channel", logs, StringComparison.Ordinal);
        Assert.Contains(" down (socket dropped", logs, StringComparison.Ordinal);
        foreach (var secret in new[] { "4111", "5555 5555", "four one one one", "seven three seven", "double five", "jane dot doe", "nine eight seven six",
            "emulator-secret", DemoHost.AuditorKey, DemoHost.ViewerKey, "Northwind", "[CARD]" })
        {
            Assert.DoesNotContain(secret, logs, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_calls_finals_export_as_WebVTT_with_speakers_and_escaped_text()
    {
        await demo.CallsEndedAsync();
        using var auditor = demo.Client(DemoHost.AuditorKey);

        var vtt = await auditor.GetStringAsync($"/api/calls/{FraudCall}/captions.vtt");

        Assert.StartsWith("WEBVTT\n\n1\n00:00:00.", vtt, StringComparison.Ordinal);
        Assert.Contains("<v Agent>", vtt, StringComparison.Ordinal);
        Assert.Contains("<v Customer>", vtt, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", vtt, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", vtt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mixed_BOTH_channel_is_labelled_Both_in_WebVTT_and_on_the_page()
    {
        var call = "b0700000-0000-4000-8000-" + Random.Shared.NextInt64(1L << 40).ToString("D12", System.Globalization.CultureInfo.InvariantCulture);
        await (await demo.Host.Committer.EnqueueAsync(new CallStarted(call, "media", DateTimeOffset.UtcNow)));
        await (await demo.Host.Committer.EnqueueAsync(EventStore.EventStoreTests.Segment(call, "u1", 1, true, "hello from the mixed stream", 0) with { Channel = "BOTH" }));
        using var auditor = demo.Client(DemoHost.AuditorKey);

        var vtt = await auditor.GetStringAsync($"/api/calls/{call}/captions.vtt");

        Assert.Contains("<v Both>hello from the mixed stream", vtt, StringComparison.Ordinal);
        Assert.DoesNotContain("<v Customer>", vtt, StringComparison.Ordinal);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await demo.Database.ScalarAsync<long>($"SELECT count(*) FROM call_summaries WHERE conversation_id = '{call}'") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the call was projected into call_summaries");
            await Task.Delay(100);
        }
        await using var browser = await Chromium.LaunchAsync();
        var page = await browser.Browser.NewPageAsync();
        await page.GotoAsync(new Uri(demo.Url, $"/?key={DemoHost.ViewerKey}").ToString());
        await page.Locator($"#calls li[data-call='{call}']").ClickAsync(new LocatorClickOptions { Timeout = 60_000 });
        var line = page.Locator(".line.final", new PageLocatorOptions { HasText = "hello from the mixed stream" });
        await line.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });

        Assert.Equal("Both", await line.Locator(".who").InnerTextAsync());
    }
}

/// <summary>Debian's Chromium under Playwright, headless.</summary>
internal sealed class Chromium : IAsyncDisposable
{
    private readonly IPlaywright _playwright;

    private Chromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static async Task<Chromium> LaunchAsync()
    {
        Assert.True(File.Exists("/usr/bin/chromium"), "browser tests drive Debian's Chromium: apt-get install -y chromium (.ci/run does)");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
        return new Chromium(playwright, browser);
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}

/// <summary>The live page in a real Chromium while calls are in progress.</summary>
public sealed class LivePageBrowserTests(LoopingDemoHost live) : IClassFixture<LoopingDemoHost>
{
    [Fact]
    public async Task The_live_page_shows_partials_turning_into_finals_redacted_and_inert_in_Chromium()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 800 } });
        // note every partial the page ever draws, however briefly
        await page.AddInitScriptAsync("""
            window.__partials = 0;
            new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach(n => { if (n.classList && n.classList.contains('partial')) window.__partials++; })))
              .observe(document, { childList: true, subtree: true });
            """);

        await page.GotoAsync(new Uri(live.Url, $"/?key={DemoHost.ViewerKey}").ToString());
        Assert.Equal(new Uri(live.Url, "/").ToString(), page.Url);
        // the fraud call of a round still playing (a looping scenario renames calls each round); an ended
        // one shows only its recorded finals, and partials are what this test watches
        var call = page.Locator("#calls li[data-call$='000000000003']", new PageLocatorOptions { HasNotText = "ended" }).First;
        await call.WaitForAsync(new LocatorWaitForOptions { Timeout = 120_000 });
        await call.ClickAsync();
        var cardLine = page.Locator(".line.final:has(.chip[data-type='CARD'])").First;
        await cardLine.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        await page.Locator(".line.final", new PageLocatorOptions { HasText = "blocked" }).WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });

        var shot = Path.Combine(AppContext.BaseDirectory, "TestResults", "live-captions.png");
        Directory.CreateDirectory(Path.GetDirectoryName(shot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });

        var captions = await page.Locator("#captions").InnerTextAsync();
        Assert.True(await page.EvaluateAsync<int>("window.__partials") > 0, "partials were drawn");
        Assert.Equal(0, await page.Locator(".line.partial").CountAsync());
        Assert.DoesNotContain("5555 5555", captions, StringComparison.Ordinal);
        Assert.DoesNotContain("double five two one", captions, StringComparison.Ordinal);
        Assert.Contains("<script>alert(1)</script>", captions, StringComparison.Ordinal);
        Assert.Contains("<img src=x onerror=", captions, StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("#captions img, #captions script").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("window.__pwned"));
        Assert.True(File.Exists(shot));
    }
}
