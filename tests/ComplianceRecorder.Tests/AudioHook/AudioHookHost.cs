using ComplianceRecorder.Emulator;
using ComplianceRecorder.Emulator.AudioHook;
using ComplianceRecorder.Genesys;
using ComplianceRecorder.ReadSide;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ComplianceRecorder.Tests.AudioHook;

/// <summary>
/// The demo in the audiohook dialect: the emulator's AudioHook client plays <see cref="CardCall"/> (a card
/// number read out) as synthesized speech, at real time, into the recorder's socket; tests add sessions of their own.
/// </summary>
public sealed class AudioHookHost : DemoHost, IAsyncLifetime
{
    public static readonly ScriptedCall CardCall = new("6f1c2d3e-0000-4000-8000-00000000c4d1", 0,
    [
        new ScriptedUtterance("INTERNAL", 300, "Thank you for calling. What is the long number on the card?"),
        new ScriptedUtterance("EXTERNAL", 4500, "It's four one one one, one one one one, one one one one, one one one one."),
        new ScriptedUtterance("INTERNAL", 12500, "Thank you, the payment went through."),
    ]);

    private static readonly string ScenarioFile = WriteScenario();

    private IDisposable? _live;

    protected override string Speed => "1";

    /// <summary>Every caption the host delivered live (partials and finals), as a subscriber sees them.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<Caption> Captions { get; } = new();

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _live = Host.Services.GetRequiredService<IObservable<Caption>>().Subscribe(Captions.Enqueue, _ => { });
    }

    public override async Task DisposeAsync()
    {
        _live?.Dispose();
        await base.DisposeAsync();
    }

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Genesys:Dialect"] = "audiohook",
        ["Emulator:Scenario"] = ScenarioFile,
        // long enough for a test's second session to reconnect, short enough that a dropped call ends soon
        ["Genesys:AudioHook:ReconnectGraceSeconds"] = "4",
        ["Genesys:AudioHook:MaxSessions"] = "3",
        // shorter than the silences and pauses some tests play: an open session's call must not end by idleness
        ["Recorder:CallIdleSeconds"] = "3",
    };

    public AudioHookCredentials Credentials
    {
        get
        {
            var o = Host.Services.GetRequiredService<GenesysOptions>().AudioHook;
            return new AudioHookCredentials(o.ApiKey, o.ClientSecret, o.OrganizationId);
        }
    }

    public Uri Socket => new UriBuilder(Url) { Scheme = "ws", Path = Host.Services.GetRequiredService<GenesysOptions>().AudioHook.Path }.Uri;

    /// <summary>Waits until the call's end is recorded.</summary>
    public async Task CallEndedAsync(string call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && await Database.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'call_ended' AND stream_id = '{call}'") == 0)
        {
            await Task.Delay(200);
        }
        Assert.True(await Database.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'call_ended' AND stream_id = '{call}'") == 1, $"call {call} ended");
    }

    /// <summary>The gaps' details recorded for the call, joined.</summary>
    public Task<string> GapDetailsAsync(string call) =>
        Database.ScalarAsync<string>($"SELECT coalesce(string_agg(data->>'detail', ' | '), '') FROM events WHERE type = 'coverage_gap_recorded' AND stream_id = '{call}'");

    /// <summary>Segments recorded for the call on the channel (EXTERNAL, INTERNAL).</summary>
    public Task<long> SegmentsAsync(string call, string channel) =>
        Database.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'segment_recorded' AND stream_id = '{call}' AND data->>'channel' = '{channel}'");

    /// <summary>Speech of the call that was refused as coming after its end.</summary>
    public Task<long> LateArrivalsAsync(string call) =>
        Database.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'coverage_gap_recorded' AND stream_id = '{call}' AND data->>'kind' = 'LateArrival'");

    /// <summary>Waits until a gap of the call says <paramref name="text"/>, and returns the details.</summary>
    public async Task<string> GapSayingAsync(string call, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var details = await GapDetailsAsync(call);
        while (DateTime.UtcNow < deadline && !details.Contains(text, StringComparison.Ordinal))
        {
            await Task.Delay(200);
            details = await GapDetailsAsync(call);
        }
        return details;
    }

    /// <summary>Waits until a quarantined frame's reason says <paramref name="text"/>; the reason, or null.</summary>
    public async Task<string?> QuarantineSayingAsync(string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        const string Query = "SELECT coalesce(string_agg(data->>'reason', ' | '), '') FROM events WHERE type = 'frame_quarantined'";
        while (DateTime.UtcNow < deadline && !(await Database.ScalarAsync<string>(Query)).Contains(text, StringComparison.Ordinal))
        {
            await Task.Delay(200);
        }
        return (await Database.ScalarAsync<string>(Query)).Contains(text, StringComparison.Ordinal) ? text : null;
    }

    /// <summary>
    /// Every event as it reads back: its data in clear (reasons, details) with its sealed text and frame opened
    /// with their keys, as the read side opens them.
    /// </summary>
    public async Task<string> PlainStoreAsync()
    {
        using var reading = Host.Services.GetRequiredService<ComplianceRecorder.EventStore.Encryption.StoredText>().Begin();
        var all = new System.Text.StringBuilder();
        await using var conn = await Database.DataSource.OpenConnectionAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT stream_id, type, data::text, source_key, data->>'text', data->>'redactedFrame' FROM events ORDER BY seq", conn);
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            all.Append(r.GetString(2)).Append('\n');
            foreach (var column in new[] { 4, 5 })
            {
                if (!r.IsDBNull(column))
                {
                    all.Append(await reading.OpenAsync(r.GetString(column), r.GetString(0), r.GetString(1), r.IsDBNull(3) ? null : r.GetString(3))).Append('\n');
                }
            }
        }
        return all.ToString();
    }

    /// <summary>Waits until a live AudioHook session holds the call.</summary>
    public async Task HeldAsync(string call)
    {
        var source = Host.Services.GetRequiredService<ComplianceRecorder.Genesys.AudioHook.AudioHookSource>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !source.Holds(call))
        {
            await Task.Delay(50);
        }
        Assert.True(source.Holds(call), $"a session holds call {call}");
    }

    private static string WriteScenario()
    {
        var file = Path.Combine(Path.GetTempPath(), "cr-audiohook-card-call.json");
        File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(new Scenario("audiohook-queue", [CardCall]), ScenarioJson.Default.Scenario));
        return file;
    }
}
