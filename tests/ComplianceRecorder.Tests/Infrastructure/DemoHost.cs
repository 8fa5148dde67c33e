using ComplianceRecorder.Hosting;
using ComplianceRecorder.Web;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Tests.Infrastructure;

/// <summary>
/// The whole recorder as the demo runs it — emulator, real sockets, real PostgreSQL, web endpoints —
/// on a free loopback port, with one viewer and one auditor key. Waits until the scenario's calls end.
/// </summary>
public class DemoHost : IAsyncLifetime
{
    public const string ViewerKey = "viewer-key-for-tests";
    public const string AuditorKey = "auditor-key-for-tests";
    public const string AdminKey = "compliance-admin-key-for-tests";

    private readonly Database _db = new();

    public RecorderHost Host { get; private set; } = null!;

    /// <summary>Play the scenario again and again (new call ids each round), so something is always live.</summary>
    protected virtual bool Loop => false;

    protected virtual string Speed => "8";

    /// <summary>Settings a fixture adds to (or overrides in) the demo's.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public Database Database => _db;

    public CapturedLogs Logs { get; } = new();

    public Uri Url => Host.Url;

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }
        return client;
    }

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:EventStore"] = _db.ConnectionString,
            ["Recorder:Url"] = "http://127.0.0.1:0",
            ["Recorder:MetricsWindowSeconds"] = "1",
            ["Recorder:CheckpointKey"] = Convert.ToBase64String(new byte[32]),
            // never the repository's .data/spill: a stop with the store down would hand its events to the next test
            ["Recorder:SpillDirectory"] = Path.Combine(Path.GetTempPath(), "cr-spill-" + Guid.NewGuid().ToString("N")),
            ["Emulator:Speed"] = Speed,
            ["Emulator:Loop"] = Loop ? "true" : "false",
            ["Auth:Keys:0:Name"] = "test-viewer",
            ["Auth:Keys:0:Sha256"] = AccessControl.Hash(ViewerKey),
            ["Auth:Keys:0:Role"] = "viewer",
            ["Auth:Keys:1:Name"] = "test-auditor",
            ["Auth:Keys:1:Sha256"] = AccessControl.Hash(AuditorKey),
            ["Auth:Keys:1:Role"] = "auditor",
            ["Auth:Keys:2:Name"] = "test-compliance-admin",
            ["Auth:Keys:2:Sha256"] = AccessControl.Hash(AdminKey),
            ["Auth:Keys:2:Role"] = "compliance-admin",
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        Host = await RecorderHost.StartAsync(config, demo: true, logs: Logs);
    }

    /// <summary>Waits until every scripted call has ended and its events are recorded.</summary>
    public async Task CallsEndedAsync()
    {
        var calls = Host.Emulator!.Scenario.Calls.Count;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && await _db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended'") < calls)
        {
            await Task.Delay(200);
        }
        Assert.Equal(calls, (int)await _db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended'"));
    }

    public virtual async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await _db.DisposeAsync();
    }
}

/// <summary>The demo with its scenario looping, for tests that need calls in progress.</summary>
public sealed class LoopingDemoHost : DemoHost
{
    protected override bool Loop => true;

    // slow enough that a call is still being spoken when a browser on a loaded machine has found and opened it
    protected override string Speed => "2";
}
