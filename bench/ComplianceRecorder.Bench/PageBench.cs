using System.Globalization;
using ComplianceRecorder.Development;
using ComplianceRecorder.Hosting;
using ComplianceRecorder.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Playwright;
using Npgsql;

namespace ComplianceRecorder.Bench;

/// <summary>
/// Frame → caption on screen, measured in the browser: the demo's scripted calls played once at real
/// speed, each call open in a console page of its own in Debian's Chromium. The page notes when each
/// transcript line is drawn (at the animation frame after it enters the DOM, so just before it is
/// painted), by the caption's sequence number; the store says when the recorder received the frame that
/// caption came from (<c>receivedAt</c>). The difference covers redaction, holding an unsettled number,
/// the group commit, the caption feed, SSE and the page's own work.
///   dotnet run -c Release --project bench/ComplianceRecorder.Bench -- page [speed]
/// </summary>
internal static class PageBench
{
    private const string Key = "bench-key";

    private const string Observer = """
        // each caption once, when first drawn: the page redraws the transcript when a call ends
        window.__drawn = []; window.__seen = new Set();
        addEventListener('DOMContentLoaded', () => {
          new MutationObserver(ms => {
            const lines = [];
            for (const m of ms) for (const n of m.addedNodes) if (n.dataset && n.dataset.seq && !window.__seen.has(n.dataset.seq)) { window.__seen.add(n.dataset.seq); lines.push(n); }
            if (lines.length) requestAnimationFrame(() => {
              const at = performance.timeOrigin + performance.now();
              for (const n of lines) window.__drawn.push([+n.dataset.seq, n.classList.contains('final'), at]);
            });
          }).observe(document.getElementById('captions'), { childList: true });
        });
        """;

    public static async Task RunAsync(string[] args)
    {
        var speed = args.Length > 1 ? args[1] : "1";
        var pgDir = Path.Combine(Path.GetTempPath(), "cr-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var pg = await LocalPostgres.StartAsync(pgDir, stopOnDispose: true);
        try
        {
            var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:EventStore"] = pg.RecorderConnectionString(),
                ["ConnectionStrings:EventStoreOwner"] = pg.ConnectionString(),
                ["Recorder:Url"] = "http://127.0.0.1:0",
                ["Recorder:CheckpointKey"] = Convert.ToBase64String(new byte[32]),
                ["Recorder:SpillDirectory"] = Path.Combine(pgDir, "spill"),
                ["Emulator:Speed"] = speed,
                ["Emulator:Loop"] = "false",
                ["Auth:Keys:0:Name"] = "bench",
                ["Auth:Keys:0:Sha256"] = AccessControl.Hash(Key),
                ["Auth:Keys:0:Role"] = "auditor",
            }).Build();
            await using var host = await RecorderHost.StartAsync(config, demo: true, logs: new LoadBench.QuietLogs());
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = "/usr/bin/chromium",
                Headless = true,
                Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            });
            var calls = host.Emulator!.Scenario.Calls.Select(c => c.ConversationId).ToList();
            var pages = new List<IPage>();
            foreach (var call in calls)
            {
                var context = await browser.NewContextAsync();
                var page = await context.NewPageAsync();
                await page.AddInitScriptAsync(Observer);
                await page.GotoAsync(new Uri(host.Url, "/?key=" + Key).ToString());
                await page.EvaluateAsync("id => location.hash = '#/call/' + encodeURIComponent(id)", call);
                pages.Add(page);
            }
            Console.WriteLine($"{calls.Count} calls at speed {speed}, one page each; waiting for them to end…");

            await using var db = NpgsqlDataSource.Create(pg.RecorderConnectionString());
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (await ScalarAsync(db, "SELECT count(*) FROM events WHERE type = 'call_ended'") < calls.Count && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
            await Task.Delay(2000);

            var drawn = new List<(long Seq, bool Final, double At)>();
            foreach (var page in pages)
            {
                foreach (var d in await page.EvaluateAsync<double[][]>("window.__drawn"))
                {
                    drawn.Add(((long)d[0], d[1] != 0, d[2]));
                }
            }
            var received = await ReceivedAsync(db, drawn.Select(d => d.Seq).Distinct().ToArray());
            var finals = new List<double>();
            var partials = new List<double>();
            foreach (var (seq, final, at) in drawn)
            {
                if (received.TryGetValue(seq, out var r))
                {
                    (final ? finals : partials).Add(at - r);
                }
            }
            Print("finals", finals);
            Print("partials", partials);
            Print("all lines", [.. finals, .. partials]);
        }
        finally
        {
            await pg.DisposeAsync();
            Directory.Delete(pgDir, recursive: true);
        }
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<Dictionary<long, double>> ReceivedAsync(NpgsqlDataSource db, long[] seqs)
    {
        await using var cmd = db.CreateCommand("SELECT seq, (data->>'receivedAt')::timestamptz FROM events WHERE seq = ANY($1) AND type = 'segment_recorded'");
        cmd.Parameters.AddWithValue(seqs);
        await using var r = await cmd.ExecuteReaderAsync();
        var received = new Dictionary<long, double>();
        while (await r.ReadAsync())
        {
            received[r.GetInt64(0)] = (r.GetFieldValue<DateTimeOffset>(1) - DateTimeOffset.UnixEpoch).TotalMilliseconds;
        }
        return received;
    }

    private static void Print(string what, List<double> ms)
    {
        if (ms.Count == 0)
        {
            Console.WriteLine($"{what}: none drawn");
            return;
        }
        ms.Sort();
        double P(double q) => ms[Math.Min(ms.Count - 1, (int)Math.Ceiling(q * ms.Count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: n={ms.Count} p50 {P(0.50):F1} ms  p99 {P(0.99):F1} ms  max {ms[^1]:F1} ms  min {ms[0]:F1} ms"));
    }
}
