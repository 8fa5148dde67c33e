using System.Reactive.Concurrency;
using System.Runtime.InteropServices;
using System.Reactive.Linq;
using System.Text.Json;
using System.Threading.Channels;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.EventStore.Schema;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Genesys;
using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Pipeline.Captions;
using ComplianceRecorder.Recording;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ComplianceRecorder;

/// <summary>The running recorder: store, Genesys source (or the emulator), pipeline, and the web page with live captions.</summary>
internal static class Service
{
    public static async Task<int> RunAsync(string[] args, bool demo)
    {
        var config = Settings.Load(args);
        var url = config["Recorder:Url"] is { Length: > 0 } u ? u : "http://127.0.0.1:5080";
        var summaryEvery = TimeSpan.FromSeconds(Settings.Number(config, "Recorder:SummarySeconds", 10, 1, 3600));
        var speed = Settings.Number(config, "Emulator:Speed", 1.0, 0.01, 1000);
        var genesys = Settings.Genesys(config);

        using var cts = new CancellationTokenSource();
        // Ctrl+C and SIGTERM both stop taking frames, drain, commit, then exit
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        void Stop(PosixSignalContext ctx)
        {
            ctx.Cancel = true;
            cts.Cancel();
        }

        var (cs, local) = await Settings.EventStoreAsync(config).ConfigureAwait(false);
        GenesysEmulator? emulator = null;
        try
        {
            await using var db = NpgsqlDataSource.Create(cs);
            var applied = await Migrator.MigrateAsync(db, cts.Token).ConfigureAwait(false);
            if (applied.Count > 0)
            {
                Console.WriteLine("migrations applied: " + string.Join(", ", applied));
            }

            if (demo)
            {
                emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = speed, Loop = config["Emulator:Loop"] != "false" }).ConfigureAwait(false);
                genesys = genesys with
                {
                    LoginBaseUrl = emulator.BaseUri,
                    ApiBaseUrl = emulator.BaseUri,
                    ClientId = "emulator-client",
                    ClientSecret = "emulator-secret",
                    QueueIds = [emulator.Scenario.QueueId],
                };
                Console.WriteLine($"Genesys emulator on {emulator.BaseUri} (scenario 'demo', speed x{speed})");
            }
            else if (genesys.ClientId.Length == 0 || genesys.ClientSecret.Length == 0)
            {
                throw new SettingsException("Genesys:ClientId and Genesys:ClientSecret are required for 'run' (set them in the environment: Genesys__ClientId, Genesys__ClientSecret or Genesys__ClientSecretFile)");
            }

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            builder.WebHost.UseUrls(url);
            var app = builder.Build();
            var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ComplianceRecorder");

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var source = new NotificationsSource(http, genesys, TimeProvider.System, log);
            var store = new EventStore.Appending.EventStore(db, $"{Environment.MachineName}:{Environment.ProcessId}");
            var committer = new GroupCommitter(store, log, TimeProvider.System);
            await using var recorder = new Recorder(source.Events(), committer, new PipelineOptions(), DefaultScheduler.Instance, log);
            var daemon = new ProjectionDaemon(db, TimeProvider.System, log);
            var background = Task.WhenAll(
                daemon.RunAsync(cts.Token),
                SignCheckpointsAsync(db, Settings.CheckpointKey(config), TimeSpan.FromSeconds(Settings.Number(config, "Recorder:CheckpointSeconds", 60, 1, 86_400)), log, cts.Token));

            MapEndpoints(app, recorder, source, daemon, db);
            await app.StartAsync(cts.Token).ConfigureAwait(false);
            Console.WriteLine($"Live captions: {url}/   (Ctrl+C stops)");

            using var summary = Observable.Interval(summaryEvery).Subscribe(_ => Console.WriteLine(recorder.Summary()));
            try
            {
                await Task.WhenAny(recorder.Completion, Task.Delay(Timeout.Infinite, cts.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            Console.WriteLine("stopping: draining the pipeline and committing what was received…");
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await background.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            Console.WriteLine(recorder.Summary());
            return 0;
        }
        finally
        {
            if (emulator is not null)
            {
                await emulator.DisposeAsync().ConfigureAwait(false);
            }
            if (local is not null)
            {
                await local.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task SignCheckpointsAsync(NpgsqlDataSource db, CheckpointKey key, TimeSpan every, ILogger log, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(every, ct).ConfigureAwait(false);
            try
            {
                var signed = await ChainCheckpoints.SignAsync(db, key, ct).ConfigureAwait(false);
                log.LogDebug("Signed {Count} stream heads with key {KeyId}", signed, key.Id);
            }
            catch (NpgsqlException e)
            {
                log.LogWarning("Signing checkpoints failed, will retry: {Error}", e.Message);
            }
        }
    }

    internal static void MapEndpoints(WebApplication app, Recorder recorder, NotificationsSource source, ProjectionDaemon daemon, NpgsqlDataSource db)
    {
        var page = Embedded("wwwroot/index.html");
        var script = Embedded("wwwroot/app.js");
        app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
        app.MapGet("/app.js", () => Results.Content(script, "text/javascript; charset=utf-8"));
        app.MapGet("/health/live", () => Results.Ok("live"));
        app.MapGet("/health/ready", () =>
        {
            var state = new { storeReachable = !recorder.StoreFailing, genesysConnected = source.Connected, backlog = recorder.Backlog, projectionLag = daemon.Lag };
            return !recorder.StoreFailing && source.Connected
                ? Results.Json(new { status = "ready", state })
                : Results.Json(new { status = "not ready", state }, statusCode: 503);
        });
        app.MapGet("/api/calls", async () =>
        {
            await using var cmd = db.CreateCommand("""
                SELECT s.conversation_id, s.started_at, s.ended_at, s.segments, s.finals, s.gaps, s.redactions, l.p50_latency_ms, l.p99_latency_ms
                  FROM call_summaries s LEFT JOIN audit_call_latency l USING (conversation_id)
                 ORDER BY s.started_at DESC LIMIT 50
                """);
            await using var r = await cmd.ExecuteReaderAsync().ConfigureAwait(false);
            var calls = new List<object>();
            while (await r.ReadAsync().ConfigureAwait(false))
            {
                calls.Add(new
                {
                    conversationId = r.GetString(0), startedAt = r.GetDateTime(1), ended = !r.IsDBNull(2), segments = r.GetInt32(3),
                    finals = r.GetInt32(4), gaps = r.GetInt32(5), redactions = r.GetInt32(6),
                    p50LatencyMs = r.IsDBNull(7) ? (double?)null : r.GetDouble(7), p99LatencyMs = r.IsDBNull(8) ? (double?)null : r.GetDouble(8),
                });
            }
            return Results.Json(calls);
        });
        app.MapGet("/api/captions/stream", async (HttpContext ctx) =>
        {
            ctx.Response.Headers.ContentType = "text/event-stream";
            ctx.Response.Headers.CacheControl = "no-cache";
            var call = ctx.Request.Query["call"].ToString();
            // a slow browser never slows ingestion: its queue is bounded and drops the oldest partials first
            var queue = Channel.CreateBounded<Caption>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest });
            using var sub = recorder.Captions.Where(c => call.Length == 0 || c.ConversationId == call).Subscribe(c => queue.Writer.TryWrite(c));
            await ctx.Response.WriteAsync(": connected\n\n", ctx.RequestAborted).ConfigureAwait(false);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
            try
            {
                await foreach (var c in queue.Reader.ReadAllAsync(ctx.RequestAborted).ConfigureAwait(false))
                {
                    await ctx.Response.WriteAsync($"id: {c.Seq}\ndata: {JsonSerializer.Serialize(c, CaptionJson.Options)}\n\n", ctx.RequestAborted).ConfigureAwait(false);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    private static class CaptionJson
    {
        public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
    }

    private static string Embedded(string name)
    {
        using var s = typeof(Service).Assembly.GetManifestResourceStream(name) ?? throw new FileNotFoundException(name);
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
