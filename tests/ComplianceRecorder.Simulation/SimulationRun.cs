using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using ComplianceRecorder.Development;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Schema;
using Npgsql;

namespace ComplianceRecorder.Simulation;

/// <summary>What one seed's run left behind for the oracle: the processes, what happened to them, and the emulator's clock.</summary>
public sealed record RunRecord(
    IReadOnlyList<RecorderChild> Recorders,
    IReadOnlyList<string> Notes,
    IReadOnlyDictionary<string, DateTimeOffset> CallsAnnounced,
    IReadOnlyDictionary<string, string> FinalCaptionsByCall);

/// <summary>
/// Plays one plan: a fresh database on the simulation's PostgreSQL, the emulator in this process playing the
/// plan's calls, the real recorder as a child process (or two or three instances sharing the store, as the plan's
/// topology says), and the fault schedule applied on time; then every recorder is stopped with SIGTERM and the
/// oracle judges what is left.
/// </summary>
public sealed class SimulationRun(LocalPostgres postgres)
{
    /// <summary>A seed that has not settled by then is a failure of its own ("did not settle").</summary>
    public static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);

    public async Task<SimulationResult> RunAsync(SimulationPlan plan)
    {
        var started = Stopwatch.StartNew();
        var database = $"sim_{plan.Seed}_{Guid.NewGuid().ToString("N")[..6]}";
        await using (var admin = NpgsqlDataSource.Create(postgres.ConnectionString()))
        await using (var create = admin.CreateCommand($"CREATE DATABASE {database}"))
        {
            await create.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        // the harness migrates and judges as the owner; recorders and verify log in as the recorder's role, as deployed
        await using var db = NpgsqlDataSource.Create(postgres.ConnectionString(database));
        var connectionString = postgres.RecorderConnectionString(database);
        await Migrator.MigrateAsync(db).ConfigureAwait(false);

        var scenarioFile = Path.Combine(Path.GetTempPath(), $"{database}.json");
        await File.WriteAllTextAsync(scenarioFile, JsonSerializer.Serialize(plan.Scenario, new JsonSerializerOptions(JsonSerializerDefaults.Web))).ConfigureAwait(false);
        var recorders = new List<RecorderChild>();
        var notes = new List<string>();
        try
        {
            await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Scenario = scenarioFile, Speed = plan.Speed, Seed = plan.Seed }).ConfigureAwait(false);
            var settings = Settings(emulator, plan, connectionString);
            var record = await PlayAsync(plan, emulator, db, settings, recorders, notes).ConfigureAwait(false);
            var failures = await Oracle.JudgeAsync(plan, record, db, connectionString, settings).ConfigureAwait(false);
            var logs = failures.Count == 0 ? null : await KeepLogsAsync(plan, recorders).ConfigureAwait(false);
            return new SimulationResult(plan, failures, notes, started.Elapsed, logs);
        }
        finally
        {
            foreach (var r in recorders)
            {
                await r.DisposeAsync().ConfigureAwait(false);
            }
            File.Delete(scenarioFile);
        }
    }

    /// <summary>The recorder's master key in a simulation; the oracle opens the sealed text with it.</summary>
    public static readonly byte[] MasterKey = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    public static Dictionary<string, string> Settings(GenesysEmulator emulator, SimulationPlan plan, string connectionString) => new()
    {
        // fail within seconds while the server is down, yet not at start on a loaded machine
        ["ConnectionStrings:EventStore"] = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 5, CommandTimeout = 10 }.ConnectionString,
        ["Recorder:Url"] = "http://127.0.0.1:0",
        ["Recorder:CheckpointKey"] = Convert.ToBase64String(new byte[32]),
        ["Recorder:MasterKey"] = Convert.ToBase64String(MasterKey),
        // never the repository's .data/spill: a stop with the store down would hand its events to the next test
        ["Recorder:SpillDirectory"] = Path.Combine(Path.GetTempPath(), "cr-spill-" + Guid.NewGuid().ToString("N")),
        ["Recorder:CallIdleSeconds"] = "3",
        ["Recorder:SummarySeconds"] = "2",
        ["Genesys:LoginBaseUrl"] = emulator.BaseUri.ToString(),
        ["Genesys:ApiBaseUrl"] = emulator.BaseUri.ToString(),
        ["Genesys:ClientId"] = "emulator-client",
        ["Genesys:ClientSecret"] = "emulator-secret",
        ["Genesys:QueueIds:0"] = plan.Scenario.QueueId,
        ["Genesys:RequestTimeoutSeconds"] = "2",
        ["Auth:Keys:0:Name"] = "simulation",
        ["Auth:Keys:0:Sha256"] = ComplianceRecorder.Web.AccessControl.Hash(RecorderChild.ApiKey),
        ["Auth:Keys:0:Role"] = "auditor",
    };

    private async Task<RunRecord> PlayAsync(SimulationPlan plan, GenesysEmulator emulator, NpgsqlDataSource db, Dictionary<string, string> settings,
        List<RecorderChild> recorders, List<string> notes)
    {
        var clock = Stopwatch.StartNew();
        void Note(string what)
        {
            lock (notes)
            {
                notes.Add($"{clock.ElapsedMilliseconds,6} ms  {what}");
            }
        }

        var generation = 0;
        RecorderChild StartRecorder(string role)
        {
            var child = RecorderChild.Start($"{role}#{++generation}", InstanceSettings(settings, plan.Topology, role));
            lock (recorders)
            {
                recorders.Add(child);
            }
            Note($"started {child.Name} (pid {child.Id})");
            return child;
        }

        // the recorder, or each instance, by name: the process serving it now
        var current = plan.Topology.Names.ToDictionary(n => n, StartRecorder);
        // as systemd's Restart=on-failure would: a recorder that ends on its own is started again a second later
        using var gate = new SemaphoreSlim(1, 1);
        using var watching = new CancellationTokenSource();
        var supervisor = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                await Task.Delay(250, CancellationToken.None).ConfigureAwait(false);
                await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    foreach (var (name, child) in current.ToList())
                    {
                        if (child.HasExited && !child.Told)
                        {
                            child.Acknowledge();
                            Note($"{child.Name} ended on its own with exit {child.ExitCode}; starting another in a second");
                            await Task.Delay(1000, CancellationToken.None).ConfigureAwait(false);
                            current[name] = StartRecorder(name);
                        }
                    }
                }
                finally
                {
                    gate.Release();
                }
            }
        });
        // ends one recorder and starts it again after a pause, with the supervisor kept out meanwhile
        async Task RestartAsync(string name, Func<RecorderChild, Task> end, long pauseMs)
        {
            await gate.WaitAsync().ConfigureAwait(false);
            try
            {
                await end(current[name]).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromMilliseconds(pauseMs)).ConfigureAwait(false);
                current[name] = StartRecorder(name);
            }
            finally
            {
                gate.Release();
            }
        }

        // the first call is announced once a recorder listens on the queue: fault times count from there
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!emulator.Sent.ContainsKey("queue"))
        {
            if (DateTime.UtcNow > deadline)
            {
                Note("the recorder never subscribed to the queue");
                await watching.CancelAsync().ConfigureAwait(false);
                await supervisor.ConfigureAwait(false);
                return new RunRecord(recorders, notes, emulator.CallsAnnounced, new Dictionary<string, string>());
            }
            await Task.Delay(20).ConfigureAwait(false);
        }
        clock.Restart();
        Note("first call announced");

        var background = new List<Task>();
        var postgresDown = false;
        var joined = 0;
        foreach (var fault in plan.Faults)
        {
            var wait = fault.AtMs - clock.ElapsedMilliseconds;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait)).ConfigureAwait(false);
            }
            Note(fault.ToString().Trim());
            switch (fault.Kind)
            {
                case FaultKind.DropSockets:
                    emulator.DropSockets();
                    break;
                case FaultKind.CloseSockets:
                    await emulator.CloseSocketsAsync(WebSocketCloseStatus.EndpointUnavailable, "idle timeout").ConfigureAwait(false);
                    break;
                case FaultKind.Duplicates:
                    emulator.Faults.DuplicateRate = fault.Rate;
                    background.Add(Later(fault.ForMs, () => emulator.Faults.DuplicateRate = 0));
                    break;
                case FaultKind.Reorders:
                    emulator.Faults.ReorderRate = fault.Rate;
                    background.Add(Later(fault.ForMs, () => emulator.Faults.ReorderRate = 0));
                    break;
                case FaultKind.Losses:
                    emulator.Faults.SkipRate = fault.Rate;
                    background.Add(Later(fault.ForMs, () => emulator.Faults.SkipRate = 0));
                    break;
                case FaultKind.TooManyRequests:
                    emulator.Faults.TooManyRequests(fault.Count, retryAfterSeconds: 1);
                    break;
                case FaultKind.Timeouts:
                    emulator.Faults.Stall(fault.Count, TimeSpan.FromSeconds(3));
                    break;
                case FaultKind.PostgresStopped when !postgresDown:
                    postgresDown = true;
                    await postgres.StopAsync().ConfigureAwait(false);
                    background.Add(Task.Run(async () =>
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(fault.ForMs)).ConfigureAwait(false);
                        await postgres.RestartAsync().ConfigureAwait(false);
                        Note("PostgreSQL started again");
                        postgresDown = false;
                    }));
                    break;
                case FaultKind.RecorderKilled:
                    await RestartAsync(fault.Target ?? "primary", async r => await r.KillAsync().ConfigureAwait(false), fault.ForMs).ConfigureAwait(false);
                    break;
                case FaultKind.RecorderTerminated:
                    await RestartAsync(fault.Target ?? "primary", async r =>
                    {
                        var code = await r.TerminateAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                        Note($"{r.Name} exited {(code is { } c ? c.ToString(CultureInfo.InvariantCulture) : "not at all within 30 s after SIGTERM (killed)")}");
                    }, fault.ForMs).ConfigureAwait(false);
                    break;
                case FaultKind.SecondRecorder:
                    // an instance's name is unique on its store: a joining instance takes the next one free
                    var second = StartRecorder(plan.Topology.Shared ? $"i{plan.Topology.Instances + ++joined}" : "second");
                    background.Add(Task.Run(async () =>
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(fault.ForMs)).ConfigureAwait(false);
                        var exit = await second.TerminateAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                        Note($"{second.Name} exited {(exit is { } x ? x.ToString(CultureInfo.InvariantCulture) : "not at all within 30 s after SIGTERM (killed)")}");
                    }));
                    break;
                default:
                    Note("skipped: PostgreSQL is already down");
                    break;
            }
        }
        await Task.WhenAll(background).ConfigureAwait(false);

        // settled: the calls are all played, and every call the store knows of has ended
        var playedBy = TimeSpan.FromMilliseconds(plan.PlayMs + 1000);
        var settleBy = playedBy + SettleTimeout;
        while (true)
        {
            if (clock.Elapsed > playedBy && await EveryStartedCallEndedAsync(db).ConfigureAwait(false))
            {
                Note("settled: every call played and every recorded call ended");
                break;
            }
            if (clock.Elapsed > settleBy)
            {
                Note("did not settle: a recorded call never ended");
                break;
            }
            await Task.Delay(200).ConfigureAwait(false);
        }
        await watching.CancelAsync().ConfigureAwait(false);
        await supervisor.ConfigureAwait(false);

        // reads work from any instance: the first one still up answers for all
        var captions = await StoredCaptionsAsync(current.Values.FirstOrDefault(r => !r.HasExited) ?? current.Values.First(), plan).ConfigureAwait(false);
        foreach (var r in recorders.Where(r => !r.Told).ToList())
        {
            // the harness's own stop, so no page is open; SIGTERM faults mid-run keep theirs
            var exit = await r.TerminateAsync(TimeSpan.FromSeconds(30), captionsOpen: false).ConfigureAwait(false);
            Note($"{r.Name} stopped at the end: exit {(exit is { } x ? x.ToString(CultureInfo.InvariantCulture) : "none within 30 s of SIGTERM (killed)")}");
        }
        return new RunRecord(recorders, notes, emulator.CallsAnnounced, captions);
    }

    /// <summary>The settings of one recorder: alone as they are; among instances, with its name and the plan's mode.</summary>
    private static Dictionary<string, string> InstanceSettings(Dictionary<string, string> settings, Topology topology, string name)
    {
        var own = new Dictionary<string, string>(settings);
        if (topology.Shared)
        {
            own["Recorder:Instance:Name"] = name;
            own["Recorder:Instance:Mode"] = topology.Mode;
        }
        return own;
    }

    private static async Task<bool> EveryStartedCallEndedAsync(NpgsqlDataSource db)
    {
        try
        {
            await using var cmd = db.CreateCommand("SELECT count(*) FILTER (WHERE type = 'call_started') = count(*) FILTER (WHERE type = 'call_ended') FROM events WHERE type IN ('call_started', 'call_ended')");
            return (bool)(await cmd.ExecuteScalarAsync().ConfigureAwait(false))!;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    /// <summary>Each call's recorded captions as the live recorder serves them (GET /api/calls/{id}/captions).</summary>
    private static async Task<Dictionary<string, string>> StoredCaptionsAsync(RecorderChild recorder, SimulationPlan plan)
    {
        var result = new Dictionary<string, string>();
        if (recorder.HasExited || await recorder.UrlAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false) is not { } url)
        {
            return result;
        }
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(15) };
        http.DefaultRequestHeaders.Add("X-Api-Key", RecorderChild.ApiKey);
        foreach (var call in plan.Scenario.Calls)
        {
            try
            {
                result[call.ConversationId] = await http.GetStringAsync(new Uri($"/api/calls/{call.ConversationId}/captions", UriKind.Relative)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                result[call.ConversationId] = "";
            }
        }
        return result;
    }

    /// <summary>A failed seed's recorder output, one file per process, for reading beside the report.</summary>
    private static async Task<string> KeepLogsAsync(SimulationPlan plan, List<RecorderChild> recorders)
    {
        var dir = Path.Combine(Path.GetTempPath(), "cr-sim-logs", $"seed-{plan.Seed}-{DateTime.UtcNow:HHmmss}");
        Directory.CreateDirectory(dir);
        foreach (var r in recorders)
        {
            await File.WriteAllLinesAsync(Path.Combine(dir, $"{r.Name.Replace('#', '-')}.log"), r.Lines).ConfigureAwait(false);
        }
        return dir;
    }

    private static Task Later(long ms, Action undo) => Task.Run(async () =>
    {
        await Task.Delay(TimeSpan.FromMilliseconds(ms)).ConfigureAwait(false);
        undo();
    });
}

/// <summary>One seed's verdict: the clauses that failed (none when clean), what happened, and where its data is.</summary>
public sealed record SimulationResult(SimulationPlan Plan, IReadOnlyList<string> Failures, IReadOnlyList<string> Notes, TimeSpan Took, string? Logs)
{
    public bool Clean => Failures.Count == 0;

    public string Report() =>
        (Clean ? $"seed {Plan.Seed}: clean in {Took.TotalSeconds:F0} s ({string.Join(", ", Plan.Faults.Select(f => f.Kind))})\n" : $"seed {Plan.Seed}: FAILED in {Took.TotalSeconds:F0} s (replay: simulate --seed {Plan.Seed})\n")
        + string.Concat(Failures.Select(f => $"  FAIL {f}\n"))
        + (Clean ? "" : Plan.Describe() + "  what happened:\n" + string.Concat(Notes.Select(n => $"    {n}\n")) + $"  recorder output: {Logs}\n");
}
