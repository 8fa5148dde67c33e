using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Playwright;

namespace ComplianceRecorder.Tests.Web;

/// <summary>
/// The demo looping at half speed, so calls are always being spoken, with checkpoints signed every two
/// seconds (the integrity view has something to show) and a call that goes quiet ended after 15 s.
/// </summary>
public sealed class ConsoleDemoHost : DemoHost
{
    protected override bool Loop => true;

    // at the scripted pace: a partial is drawn some seconds before its final replaces it, even on a loaded machine
    // (a final that overtakes its partial in the caption feed is delivered alone, which is right, but proves nothing)
    protected override string Speed => "1";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Recorder:CheckpointSeconds"] = "2",
        ["Recorder:CallIdleSeconds"] = "15",
    };
}

/// <summary>
/// The console in a real Chromium against the scripted calls: a live call with a socket outage (a gap,
/// then a backfill once it ends), a card read out, calls that ended. Each view is saved as a screenshot
/// under the test output's TestResults/console/.
/// </summary>
public sealed class ConsolePageTests(ConsoleDemoHost demo) : IClassFixture<ConsoleDemoHost>
{
    private static readonly string Shots = Path.Combine(AppContext.BaseDirectory, "TestResults", "console");
    private static readonly LocatorWaitForOptions Long = new() { Timeout = 90_000 };

    [Fact]
    public async Task An_auditor_watches_a_live_call_lose_and_regain_coverage_then_verifies_and_exports_it()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var page = await NewPageAsync(chromium);
        // counts utterances drawn as partials and then replaced, in place, by their finals
        await page.AddInitScriptAsync("""
            window.__partial = new Set(); window.__replaced = 0;
            new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach(n => {
              if (!n.classList || !n.classList.contains('line')) return;
              if (n.classList.contains('partial')) window.__partial.add(n.dataset.utterance);
              else if (n.classList.contains('final') && window.__partial.has(n.dataset.utterance) && m.removedNodes.length) window.__replaced++;
            }))).observe(document, { childList: true, subtree: true });
            """);
        await page.GotoAsync(new Uri(demo.Url, $"/?key={DemoHost.AuditorKey}").ToString());

        // calls view: a fraud call of a round that is still being spoken
        var live = page.Locator("#calls li[data-call$='000000000003']", new PageLocatorOptions { HasText = "live" }).First;
        await live.WaitForAsync(Long);
        await Expect(page.Locator("#calls li .c-queue", new PageLocatorOptions { HasText = "7d3c1f52-demo-queue" }).First);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("calls") });
        var call = (await live.GetAttributeAsync("data-call"))!;

        // call view, opened from the keyboard
        await page.Locator("#calls-scroll").FocusAsync();
        await page.Keyboard.PressAsync("Home");
        while (await page.Locator("#calls li.active").GetAttributeAsync("data-call") != call)
        {
            await page.Keyboard.PressAsync("ArrowDown");
        }
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#title", new PageLocatorOptions { HasText = call }));
        await Expect(page.Locator("#captions .line.final").First);
        // live, before anything goes wrong: a partial is drawn and then replaced where it stands by its final
        await page.WaitForFunctionAsync("() => window.__replaced > 0", null, new PageWaitForFunctionOptions { Timeout = 90_000 });

        // the socket drops (and three 429s keep it down for 6 s or more): the gap band and the gap line appear while the
        // call goes on. At the scripted pace lines come 2.5 to 7.5 s apart, so an outage of about 2 s could fall between
        // finals and lose nothing, and then there was nothing to backfill
        demo.Host.Emulator!.Faults.TooManyRequests(3, retryAfterSeconds: 2);
        demo.Host.Emulator.DropSockets();
        await Expect(page.Locator("#timeline rect.band-unheard").First);
        await Expect(page.Locator("#captions .line.gap").First);
        await Expect(page.Locator("#gaplist li", new PageLocatorOptions { HasText = "Disconnected" }).First);

        // the card is read out and shown as a chip; the call ends; its chain verifies
        await Expect(page.Locator("#captions .line.final .chip[data-type='CARD']").First);
        await Expect(page.Locator("#fact-state", new PageLocatorOptions { HasText = "ended" }));
        await SignedToItsHeadAsync(call);
        await page.Locator("#verify-call").ClickAsync();
        await Expect(page.Locator("#chain.chain-ok"));
        await Expect(page.Locator("#announcer p").First);
        Assert.Equal(0, await page.Locator("#captions img, #captions script").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("window.__pwned"));
        Assert.Equal($"/api/calls/{call}/captions.vtt", await page.Locator("#export-vtt").GetAttributeAsync("href"));

        // a call whose outage lost speech is backfilled once it ends, and its timeline shows the stretch (the calls
        // last up to 38 s at this pace, and the fetch follows the end: a loaded machine may need the longer bound)
        var backfilled = await UntilAsync(() => demo.Database.ScalarAsync<string?>(
            "SELECT conversation_id FROM audit_log l WHERE backfilled AND EXISTS (SELECT 1 FROM call_summaries s WHERE s.conversation_id = l.conversation_id AND s.ended_at IS NOT NULL) LIMIT 1"),
            "a call that lost speech in the outage backfilled after its end", seconds: 180);
        await SignedToItsHeadAsync(backfilled);
        await page.GotoAsync(new Uri(demo.Url, "/#/call/" + Uri.EscapeDataString(backfilled)).ToString());
        await Expect(page.Locator("#timeline rect.band-backfilled").First);
        await Expect(page.Locator("#timeline rect.band-unheard").First);
        await Expect(page.Locator("#chain.chain-ok"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("call"), FullPage = true });

        // an export from the page is a download of the audit report, recorded as an access
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-csv").ClickAsync());
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.StartsWith("seq,recorded_at,conversation_id", csv, StringComparison.Ordinal);

        // metrics, integrity (verify one call from the form), access log
        await page.Locator("nav a[data-view='metrics']").ClickAsync();
        await Expect(page.Locator("#chart-latency svg polyline").First);
        await Expect(page.Locator("#chart-redactions svg rect").First);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("metrics"), FullPage = true });

        await page.Locator("nav a[data-view='integrity']").ClickAsync();
        await Expect(page.Locator("#checkpoints tr").First);
        await page.Locator("#verify-form input[name='call']").FillAsync(call);
        await page.Locator("#verify-form button").ClickAsync();
        await Expect(page.Locator("#verify-result.chain-ok", new PageLocatorOptions { HasText = call }));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("integrity"), FullPage = true });

        await page.Locator("nav a[data-view='access']").ClickAsync();
        await Expect(page.Locator("#access tr", new PageLocatorOptions { HasText = $"/api/console/calls/{call}/verify" }).First);
        await Expect(page.Locator("#access tr", new PageLocatorOptions { HasText = "/api/reports/audit" }).First);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("access"), FullPage = true });
    }

    [Fact]
    public async Task A_viewer_sees_no_auditor_tab_or_export_and_an_auditor_address_shows_the_calls()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var page = await NewPageAsync(chromium);
        await page.GotoAsync(new Uri(demo.Url, $"/?key={DemoHost.ViewerKey}").ToString());
        var row = page.Locator("#calls li[data-call]").First;
        await row.WaitForAsync(Long);

        await row.ClickAsync();
        await Expect(page.Locator("#captions .line").First);

        Assert.Equal(0, await page.Locator("nav a[data-view='integrity'], nav a[data-view='access']").CountAsync());
        Assert.Equal(0, await page.Locator("#export-vtt, #export-csv, #export-jsonl, #verify-call, #chain").CountAsync());
        await page.GotoAsync(new Uri(demo.Url, "/#/integrity").ToString());
        await Expect(page.Locator("#view-calls:not([hidden])"));
        Assert.True(await page.Locator("#view-integrity").IsHiddenAsync());
    }

    [Fact]
    public async Task In_a_narrow_window_the_list_and_a_call_fit_without_scrolling_sideways()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 380, Height = 740 } });
        await page.GotoAsync(new Uri(demo.Url, $"/?key={DemoHost.ViewerKey}").ToString());
        await page.Locator("#calls li[data-call]").First.WaitForAsync(Long);
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the calls view fits");

        await page.Locator("#calls li[data-call]").First.ClickAsync();
        await Expect(page.Locator("#captions .line").First);
        await page.Locator("#captions").FocusAsync();
        await page.Keyboard.PressAsync("ArrowDown");
        Assert.True(await page.EvaluateAsync<bool>("document.activeElement.classList.contains('line')"), "a turn has the focus");
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the call view fits");
    }

    [Fact]
    public async Task A_thousand_calls_in_the_list_draw_only_the_rows_in_view()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var page = await NewPageAsync(chromium);
        // the list as the server gives it, answered here with a thousand rows
        await page.RouteAsync("**/api/console/calls?*", route => route.FulfillAsync(new RouteFulfillOptions
        {
            ContentType = "application/json",
            Body = System.Text.Json.JsonSerializer.Serialize(Enumerable.Range(0, 1000).Select(i => new
            {
                conversationId = $"load-{i:D4}",
                queueId = "q",
                startedAt = DateTimeOffset.UtcNow.AddSeconds(-i),
                endedAt = (DateTimeOffset?)null,
                finals = 1,
                gaps = 0,
                unheardSeconds = 0.0,
                backfilled = false,
                redactions = 0,
                redactionsByType = new Dictionary<string, int>(),
            })),
        }));
        await page.GotoAsync(new Uri(demo.Url, $"/?key={DemoHost.ViewerKey}").ToString());
        await Expect(page.Locator("#calls-status", new PageLocatorOptions { HasText = "1000 calls" }));

        var drawn = await page.Locator("#calls li").CountAsync();
        await page.Locator("#calls-scroll").FocusAsync();
        await page.Keyboard.PressAsync("End");
        await Expect(page.Locator("#calls li[data-call='load-0999']"));

        Assert.InRange(drawn, 1, 60);
        Assert.InRange(await page.Locator("#calls li").CountAsync(), 1, 60);
        Assert.Equal("row-999", await page.Locator("#calls-scroll").GetAttributeAsync("aria-activedescendant"));
    }

    private static async Task<IPage> NewPageAsync(Chromium chromium)
    {
        var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 960, Height = 760 }, AcceptDownloads = true });
        return await context.NewPageAsync();
    }

    private static Task Expect(ILocator locator) => locator.WaitForAsync(Long);

    private static string Shot(string view)
    {
        Directory.CreateDirectory(Shots);
        return Path.Combine(Shots, $"console-{view}.png");
    }

    /// <summary>Until the recorder's signer has covered the call's head: before, the page shows it as not yet signed.</summary>
    private Task SignedToItsHeadAsync(string call) => UntilAsync(() => demo.Database.ScalarAsync<string?>($"""
        SELECT s.id FROM streams s WHERE s.id = '{call}'
           AND s.version <= (SELECT coalesce(max(c.version), 0) FROM chain_checkpoints c WHERE c.stream_id = s.id)
        """), $"call {call} signed to its head");

    private async Task<string> UntilAsync(Func<Task<string?>> found, string what, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (await found() is { } value)
            {
                return value;
            }
            if (DateTime.UtcNow >= deadline)
            {
                // what the recorder said of gaps and backfills, and the gaps the store holds: why nothing came
                var said = string.Join("\n", demo.Logs.Lines.Where(l => l.Contains("ackfill", StringComparison.Ordinal) || l.Contains("down", StringComparison.Ordinal)).TakeLast(40));
                var gaps = await demo.Database.ScalarAsync<string?>("""
                    SELECT string_agg(stream_id || ' ' || (data->>'from') || ' ' || (data->>'to') || ' ' || (data->>'detail'), E'\n') FROM events WHERE type = 'coverage_gap_recorded'
                    """);
                Assert.Fail($"timed out after {seconds} s waiting for {what}; the recorder logged:\n{said}\ngaps in the store:\n{gaps}");
            }
            await Task.Delay(250);
        }
    }
}
