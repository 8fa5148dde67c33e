using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using ComplianceRecorder.Emulator.Archive;
using ComplianceRecorder.Emulator.Media;
using ComplianceRecorder.Emulator.Notifications;
using ComplianceRecorder.Emulator.Playback;
using ComplianceRecorder.Emulator.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Emulator;

/// <summary>
/// Genesys Cloud as the recorder sees it, on loopback: OAuth client credentials, notification
/// channels and subscriptions, and the streaming WebSocket with real envelopes, heartbeats, queue
/// conversation events and transcription messages (../shared/genesys/notifications-api.md).
/// </summary>
public sealed class GenesysEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EmulatorOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly RestGate _gate;
    private readonly NotificationsDialect _notifications;
    private readonly PlayedCalls _played = new();
    private readonly ArchiveEndpoints _archive;
    private readonly ConcurrentBag<WebSocket> _mediaSockets = [];
    private Task _play = Task.CompletedTask;

    private GenesysEmulator(WebApplication app, EmulatorOptions options, Scenario scenario)
    {
        _app = app;
        _options = options;
        Scenario = scenario;
        _gate = new RestGate(options, Faults);
        _notifications = new NotificationsDialect(this, options, _stop.Token);
        _archive = new ArchiveEndpoints(this, options, _played);
    }

    public Uri BaseUri { get; private set; } = null!;

    public Scenario Scenario { get; }

    /// <summary>Frames sent on sockets so far, by kind; tests read it to know what was said.</summary>
    public ConcurrentDictionary<string, int> Sent { get; } = new();

    public EmulatorFaults Faults { get; } = new();

    /// <summary>Every topic subscribed on any channel now (a topic twice if two channels carry it).</summary>
    public IReadOnlyList<string> SubscribedTopics => _notifications.SubscribedTopics;

    /// <summary>How many topics each live channel carries.</summary>
    public IReadOnlyList<int> TopicsPerChannel => _notifications.TopicsPerChannel;

    /// <summary>Channels created so far, and channels that ran out their life.</summary>
    public int ChannelsCreated => _notifications.ChannelsCreated;

    public int ChannelsExpired => _notifications.ChannelsExpired;

    /// <summary>Stored transcripts fetched through their transcripturl, to show backfill asked.</summary>
    public int TranscriptsServed => _archive.Served;

    /// <summary>PUT and POST requests on subscriptions so far, to show clients batch their changes.</summary>
    public int SubscriptionRequests => _notifications.SubscriptionRequests;

    /// <summary>Token requests served, to show that clients cache and share tokens.</summary>
    public int TokensIssued => _gate.TokensIssued;

    /// <summary>How clients ended their channel sockets: the close code and reason, or that they just dropped them.</summary>
    public ConcurrentQueue<string> ClientCloses => _notifications.ClientCloses;

    /// <summary>When each call played so far was announced: a checker places what was said on the wall clock from it.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> CallsAnnounced => _played.Announced;

    public static async Task<GenesysEmulator> StartAsync(EmulatorOptions options, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var emulator = new GenesysEmulator(app, options, Scenario.Load(options.Scenario));
        app.UseWebSockets();
        emulator.Map(app);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        emulator.BaseUri = new Uri(address);
        var player = new ScenarioPlayer(emulator.Scenario, options, emulator._notifications, emulator._played);
        emulator._play = Task.WhenAll(
            Task.Run(() => player.PlayAsync(emulator._stop.Token)),
            Task.Run(() => emulator._notifications.ExpireAsync(emulator._stop.Token)));
        return emulator;
    }

    private void Map(WebApplication app)
    {
        _gate.MapToken(app);
        var api = _gate.MapApi(app);
        app.MapPost("/emulator/faults", (Func<HttpContext, Task<IResult>>)ApplyFaultsAsync);
        _archive.Map(api, app);
        _notifications.Map(api, app);
        new MediaDialect(this, _options, _gate.Authorized).Map(app);
    }

    /// <summary>Faults asked for over HTTP, as the demo's fault buttons and the simulation do.</summary>
    private async Task<IResult> ApplyFaultsAsync(HttpContext ctx)
    {
        var body = await JsonNode.ParseAsync(ctx.Request.Body).ConfigureAwait(false);
        if (body?["dropSockets"]?.GetValue<bool>() == true)
        {
            DropSockets();
        }
        if (body?["expireTokens"]?.GetValue<bool>() == true)
        {
            ExpireTokens();
        }
        if (body?["expireChannels"]?.GetValue<bool>() == true)
        {
            await ExpireChannelsAsync(all: true).ConfigureAwait(false);
        }
        if (body?["serverErrors"]?.GetValue<int>() is { } e)
        {
            Faults.ServerErrors(e);
        }
        if (body?["stalls"]?.GetValue<int>() is { } stalls)
        {
            Faults.Stall(stalls, TimeSpan.FromSeconds(body["stallSeconds"]?.GetValue<double>() ?? 5));
        }
        if (body?["tooManyRequests"]?.GetValue<int>() is { } n)
        {
            Faults.TooManyRequests(n, body["retryAfterSeconds"]?.GetValue<int>() ?? 1, body["retryAfterAsDate"]?.GetValue<bool>() ?? false);
        }
        if (body?["subscriptionTimeouts"] is not null || body?["subscriptionServerErrors"] is not null || body?["subscriptionTooManyRequests"] is not null)
        {
            Faults.FailSubscriptionAdds(body["subscriptionTimeouts"]?.GetValue<int>() ?? 0, body["subscriptionServerErrors"]?.GetValue<int>() ?? 0,
                body["subscriptionTooManyRequests"]?.GetValue<int>() ?? 0);
        }
        Faults.DuplicateRate = body?["duplicateRate"]?.GetValue<double>() ?? Faults.DuplicateRate;
        Faults.ReorderRate = body?["reorderRate"]?.GetValue<double>() ?? Faults.ReorderRate;
        Faults.SkipRate = body?["skipRate"]?.GetValue<double>() ?? Faults.SkipRate;
        return Results.NoContent();
    }

    /// <summary>Channels past their life (or all of them, on demand) are closed and forgotten, as Genesys does.</summary>
    public Task ExpireChannelsAsync(bool all) => _notifications.ExpireChannelsAsync(all);

    /// <summary>Every token issued so far stops working: the next REST call gets 401.</summary>
    public void ExpireTokens() => _gate.ExpireTokens();

    /// <summary>Closes every socket with a close frame and this code (1001 "idle timeout", say).</summary>
    public Task CloseSocketsAsync(WebSocketCloseStatus status, string reason) => _notifications.CloseSocketsAsync(status, reason);

    internal void TrackMediaSocket(WebSocket ws) => _mediaSockets.Add(ws);

    /// <summary>Drops every socket abruptly (no close handshake), as a network failure would.</summary>
    public void DropSockets()
    {
        foreach (var ws in _mediaSockets)
        {
            ws.Abort();
        }
        _notifications.DropSockets();
    }

    /// <summary>Sends raw text on every open socket: malformed and oversized frames on demand.</summary>
    public Task InjectFrameAsync(string raw) => _notifications.InjectFrameAsync(raw);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _play.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        DropSockets();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
