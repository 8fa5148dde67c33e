using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ComplianceRecorder.Development;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Schema;
using ComplianceRecorder.Web;
using Npgsql;

namespace ComplianceRecorder.Bench;

/// <summary>
/// Several recorder processes on one PostgreSQL (#15), against one emulator in this process (it counts the frames it
/// sends on every socket, i.e. what the instances are offered). Each phase has a database of its own in one cluster:
///   throughput of 1, 2 and 3 partitioned instances, and of 2 active-active ones (offered against stored: the write
///   amplification, with the WAL bytes per stored segment); then SIGKILLs of a call's owner among 3 partitioned
///   instances, each killed one started again before the next kill: the time from the kill until a live instance
///   holds each of its calls in the store, and until the taker's first segment of it is recorded.
///   dotnet run -c Release --project bench/ComplianceRecorder.Bench -- instances [calls] [seconds] [kills]   (seconds 0: the kills alone)
/// </summary>
internal static class InstancesBench
{
    public static async Task RunAsync(string[] args)
    {
        var calls = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 40;
        var seconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20;
        var kills = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 20;
        var pgDir = Path.Combine(Path.GetTempPath(), "cr-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var pg = await LocalPostgres.StartAsync(pgDir, stopOnDispose: true);
        try
        {
            Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
            var phase = 0;
            // seconds 0: the takeovers alone
            foreach (var (n, mode) in seconds > 0 ? new[] { (1, "partitioned"), (2, "partitioned"), (3, "partitioned"), (2, "active-active") } : [])
            {
                await ThroughputAsync(pg, ++phase, n, mode, calls, seconds);
            }
            await TakeoversAsync(pg, ++phase, calls, kills);
            Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
        }
        finally
        {
            await pg.DisposeAsync();
            Directory.Delete(pgDir, recursive: true);
        }
    }

    private static async Task ThroughputAsync(LocalPostgres pg, int phase, int n, string mode, int calls, int seconds)
    {
        await using var run = await Phase.StartAsync(pg, phase, calls, TimeSpan.FromSeconds(seconds + 90));
        var names = Enumerable.Range(1, n).Select(i => $"i{i}").ToList();
        foreach (var name in names)
        {
            run.Start(name, mode);
        }
        // warm-up: every call heard
        await run.UntilAsync($"SELECT count(DISTINCT stream_id) >= {calls} FROM events WHERE type = 'segment_recorded'", TimeSpan.FromSeconds(120));
        var (stored0, wal0) = await run.StoredAsync();
        var offered0 = run.Offered;
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var (stored1, wal1) = await run.StoredAsync();
        var offered = run.Offered - offered0;
        var wall = clock.Elapsed.TotalSeconds;
        var stored = stored1 - stored0;
        Console.WriteLine($"{n} {mode} instance(s), {calls} calls, {wall:F0} s: stored {stored / wall:N0} segments/s; offered {offered / wall:N0}/s to the instances "
            + $"(offered/stored {offered / (double)Math.Max(1, stored):F2}); WAL {(wal1 - wal0) / (double)Math.Max(1, stored):N0} bytes per stored segment; load {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    private static async Task TakeoversAsync(LocalPostgres pg, int phase, int calls, int kills)
    {
        // calls outlast every kill and restart
        await using var run = await Phase.StartAsync(pg, phase, calls, TimeSpan.FromSeconds((kills * 25) + 120));
        foreach (var name in new[] { "i1", "i2", "i3" })
        {
            run.Start(name, "partitioned");
        }
        await run.UntilAsync($"SELECT count(DISTINCT stream_id) >= {calls} FROM events WHERE type = 'segment_recorded'", TimeSpan.FromSeconds(120));
        var claimed = new List<double>();
        var heard = new List<double>();
        for (var k = 0; k < kills; k++)
        {
            await run.UntilAsync("SELECT count(*) = 3 FROM recorder_instances WHERE lapsed_at IS NULL AND NOT leaving", TimeSpan.FromSeconds(120));
            var victim = await run.ScalarAsync<string>("SELECT owner FROM call_leases WHERE owner IS NOT NULL GROUP BY owner ORDER BY count(*) DESC, owner LIMIT 1");
            var held = await run.ScalarAsync<string[]>($"SELECT array_agg(conversation_id) FROM call_leases WHERE owner = '{victim}'");
            var killedAt = await run.ScalarAsync<DateTime>("SELECT clock_timestamp()");
            await run.KillAsync(victim);
            var list = string.Join(",", held.Select(c => $"'{c}'"));
            await run.UntilAsync($"SELECT count(*) = {held.Length} FROM call_leases WHERE conversation_id IN ({list}) AND owner IS NOT NULL AND owner <> '{victim}'", TimeSpan.FromSeconds(60), pollMs: 20);
            claimed.Add(await run.ScalarAsync<double>($"SELECT extract(epoch FROM max(owner_since) - '{killedAt:O}'::timestamptz)::float8 FROM call_leases WHERE conversation_id IN ({list})"));
            await run.UntilAsync($"""
                SELECT count(DISTINCT stream_id) = {held.Length} FROM events
                 WHERE stream_id IN ({list}) AND type = 'segment_recorded' AND writer <> '{victim}' AND recorded_at > '{killedAt:O}'
                """, TimeSpan.FromSeconds(60), pollMs: 20);
            heard.Add(await run.ScalarAsync<double>($"""
                SELECT extract(epoch FROM max(first) - '{killedAt:O}'::timestamptz)::float8 FROM (
                  SELECT min(recorded_at) AS first FROM events
                   WHERE stream_id IN ({list}) AND type = 'segment_recorded' AND writer <> '{victim}' AND recorded_at > '{killedAt:O}'
                   GROUP BY stream_id) f
                """));
            Console.WriteLine($"  kill {k + 1}: {victim} held {held.Length} call(s); all held again after {claimed[^1]:F2} s, all heard by their takers after {heard[^1]:F2} s");
            run.Start(victim, "partitioned");
        }
        claimed.Sort();
        heard.Sort();
        Console.WriteLine($"takeover after SIGKILL over {kills} kills (3 partitioned instances, {calls} calls): held again p50 {claimed[claimed.Count / 2]:F2} s max {claimed[^1]:F2} s; "
            + $"heard again p50 {heard[heard.Count / 2]:F2} s max {heard[^1]:F2} s; load {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    /// <summary>One phase: its own database, emulator (calls with ids of the phase) and recorder processes.</summary>
    private sealed class Phase : IAsyncDisposable
    {
        private readonly Dictionary<string, Process> _recorders = [];
        private readonly StringBuilder _output = new();
        private readonly GenesysEmulator _emulator;
        private readonly NpgsqlDataSource _db;
        private readonly string _recorderConnection;
        private readonly string _scenario;

        private Phase(GenesysEmulator emulator, NpgsqlDataSource db, string recorderConnection, string scenario)
        {
            _emulator = emulator;
            _db = db;
            _recorderConnection = recorderConnection;
            _scenario = scenario;
        }

        public long Offered => _emulator.Sent.GetValueOrDefault("partial") + _emulator.Sent.GetValueOrDefault("final");

        public static async Task<Phase> StartAsync(LocalPostgres pg, int phase, int calls, TimeSpan length)
        {
            var database = $"instances{phase}";
            await using (var admin = NpgsqlDataSource.Create(pg.ConnectionString()))
            {
                await admin.CreateCommand($"CREATE DATABASE {database}").ExecuteNonQueryAsync();
            }
            var db = NpgsqlDataSource.Create(pg.ConnectionString(database));
            await Migrator.MigrateAsync(db);
            // the load scenario's calls, with ids of this phase: the phases' stores are apart, their calls too
            var talking = LoadScenario.Talking(calls, length);
            var scenario = Path.Combine(Path.GetTempPath(), $"instances-bench-{Guid.NewGuid():N}.json");
            await File.WriteAllTextAsync(scenario, JsonSerializer.Serialize(new
            {
                queueId = talking.QueueId,
                calls = talking.Calls.Select(c => new
                {
                    conversationId = $"{phase:D8}{c.ConversationId[8..]}",
                    startMs = c.StartMs + 5000,
                    utterances = c.Utterances.Select(u => new { channel = u.Channel, atMs = u.AtMs, text = u.Text }),
                }),
            }));
            var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Scenario = scenario });
            return new Phase(emulator, db, pg.RecorderConnectionString(database), scenario);
        }

        public void Start(string name, string mode)
        {
            var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ComplianceRecorder.dll"));
            info.ArgumentList.Add("run");
            foreach (var (key, value) in new Dictionary<string, string>
            {
                ["ConnectionStrings:EventStore"] = _recorderConnection,
                ["Recorder:Url"] = "http://127.0.0.1:0",
                ["Recorder:CheckpointKey"] = Convert.ToBase64String(new byte[32]),
                ["Recorder:MasterKey"] = Convert.ToBase64String(new byte[32]),
                ["Recorder:SpillDirectory"] = Path.Combine(Path.GetTempPath(), "cr-spill-" + Guid.NewGuid().ToString("N")),
                ["Recorder:Instance:Name"] = name,
                ["Recorder:Instance:Mode"] = mode,
                ["Genesys:LoginBaseUrl"] = _emulator.BaseUri.ToString(),
                ["Genesys:ApiBaseUrl"] = _emulator.BaseUri.ToString(),
                ["Genesys:ClientId"] = "emulator-client",
                ["Genesys:ClientSecret"] = "emulator-secret",
                ["Genesys:QueueIds:0"] = _emulator.Scenario.QueueId,
                ["Auth:Keys:0:Name"] = "bench",
                ["Auth:Keys:0:Sha256"] = AccessControl.Hash("bench-key"),
                ["Auth:Keys:0:Role"] = "auditor",
                ["Logging:LogLevel:Default"] = "Warning",
            })
            {
                info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
            var process = new Process { StartInfo = info };
            process.OutputDataReceived += (_, e) => Append(name, e.Data);
            process.ErrorDataReceived += (_, e) => Append(name, e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _recorders[name] = process;
        }

        private void Append(string name, string? line)
        {
            if (line is not null)
            {
                lock (_output)
                {
                    _output.Append(name).Append(": ").AppendLine(line);
                }
            }
        }

        public async Task KillAsync(string name)
        {
            var process = _recorders[name];
            process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();
        }

        public async Task<(long Segments, long WalBytes)> StoredAsync()
        {
            await using var cmd = _db.CreateCommand("SELECT (SELECT count(*) FROM events WHERE type = 'segment_recorded'), pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint");
            await using var r = await cmd.ExecuteReaderAsync();
            await r.ReadAsync();
            return (r.GetInt64(0), r.GetInt64(1));
        }

        public async Task<T> ScalarAsync<T>(string sql)
        {
            await using var cmd = _db.CreateCommand(sql);
            return (T)(await cmd.ExecuteScalarAsync())!;
        }

        public async Task UntilAsync(string sql, TimeSpan timeout, int pollMs = 200)
        {
            var deadline = Stopwatch.StartNew();
            while (!(await ScalarAsync<bool?>(sql) ?? false))
            {
                if (deadline.Elapsed > timeout)
                {
                    string output;
                    lock (_output)
                    {
                        output = _output.ToString();
                    }
                    throw new TimeoutException($"timed out waiting for {sql}; the recorders printed:\n{output[Math.Max(0, output.Length - 8000)..]}");
                }
                await Task.Delay(pollMs);
            }
        }

        public async ValueTask DisposeAsync()
        {
            // the store is thrown away with the phase: no orderly stop needed
            foreach (var process in _recorders.Values.Where(p => { try { return !p.HasExited; } catch (InvalidOperationException) { return false; } }))
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
            await _emulator.DisposeAsync();
            await _db.DisposeAsync();
            File.Delete(_scenario);
        }
    }
}
