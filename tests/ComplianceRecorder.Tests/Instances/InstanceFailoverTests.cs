using System.Diagnostics;
using System.Text.Json;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Tests.Infrastructure;
using Npgsql;

namespace ComplianceRecorder.Tests.Instances;

/// <summary>
/// Three recorder processes on one store and one emulator (#15): one is killed with SIGKILL mid-call, another
/// stopped with SIGTERM, one cut off from PostgreSQL by a TCP relay. Each test builds its own database.
/// </summary>
public sealed class InstanceFailoverTests
{
    private const int Calls = 4;
    private const int Utterances = 14;

    [Fact]
    public async Task Killing_one_of_three_active_active_instances_mid_call_leaves_no_gap_and_doubles_nothing()
    {
        await using var own = await OwnDatabase.StartAsync();
        var db = own.Db;
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Scenario = ScenarioFile(), Speed = 2 });
        var recorders = StartInstances(emulator, db, "active-active");
        try
        {
            await AllListeningAsync(db, recorders);
            // every call under way, heard by two instances each: then the owner of the first one dies
            await Until(db, recorders, $"SELECT count(DISTINCT stream_id) = {Calls} FROM events WHERE type = 'segment_recorded'");
            var victim = await db.ScalarAsync<string>("SELECT owner FROM call_leases ORDER BY conversation_id LIMIT 1");
            await recorders[victim].KillAsync();

            await Until(db, recorders, $"SELECT count(*) = {Calls} FROM events WHERE type = 'call_ended'");
            foreach (var (name, recorder) in recorders.Where(r => r.Key != victim))
            {
                var code = await recorder.TerminateAsync(TimeSpan.FromSeconds(60));
                Assert.True(code == 0, $"{name} exited {code}:\n{recorder.Output}");
            }

            // Known limit of the preview (README): a standby assigned after the kill that the call's end reaches before
            // its channel is subscribed records "never subscribed" for its own part, though the owner heard it all.
            // Every other gap fails the test, and every final must be in the record once.
            Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'coverage_gap_recorded' AND data->>'detail' NOT LIKE '%never subscribed before the call ended%'") == 0, await GapsAsync(db));
            await AssertEveryFinalOnceAsync(db);
            Assert.True(await db.ScalarAsync<long>("SELECT count(DISTINCT writer) FROM events WHERE type = 'segment_recorded'") >= 2);
            await AssertChainsAndProjectionsAsync(db);
        }
        finally
        {
            await DisposeAllAsync(recorders);
        }
    }

    [Fact]
    public async Task In_partitioned_mode_a_killed_instances_calls_are_taken_over_with_one_gap_each_and_a_sigterm_hands_over_with_none()
    {
        await using var own = await OwnDatabase.StartAsync();
        var db = own.Db;
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Scenario = ScenarioFile(), Speed = 2 });
        var recorders = StartInstances(emulator, db, "partitioned");
        try
        {
            await AllListeningAsync(db, recorders);
            await Until(db, recorders, $"SELECT count(DISTINCT stream_id) = {Calls} FROM events WHERE type = 'segment_recorded'");
            var victim = await db.ScalarAsync<string>("SELECT owner FROM call_leases ORDER BY conversation_id LIMIT 1");
            var affected = await db.ScalarAsync<string[]>($"SELECT array_agg(conversation_id ORDER BY conversation_id) FROM call_leases WHERE owner = '{victim}'");
            await recorders[victim].KillAsync();
            var killedAt = await db.ScalarAsync<DateTime>("SELECT clock_timestamp()");

            // taken over: then another instance is stopped as a rolling restart would, mid-call
            await Until(db, recorders, $"SELECT count(DISTINCT stream_id) = {affected.Length} FROM events WHERE type = 'coverage_gap_recorded'");
            var second = await db.ScalarAsync<string>($"SELECT owner FROM call_leases WHERE owner <> '{victim}' ORDER BY conversation_id LIMIT 1");
            var stopped = await recorders[second].TerminateAsync(TimeSpan.FromSeconds(60));
            Assert.True(stopped == 0, $"{second} exited {stopped}:\n{recorders[second].Output}");

            await Until(db, recorders, $"SELECT count(*) = {Calls} FROM events WHERE type = 'call_ended'");
            var last = recorders.Single(r => r.Key != victim && r.Key != second);
            var lastCode = await last.Value.TerminateAsync(TimeSpan.FromSeconds(60));
            Assert.True(lastCode == 0, $"{last.Key} exited {lastCode}:\n{last.Value.Output}");

            // one gap on each call the killed instance followed, over the kill; none on any other, none from the SIGTERM
            var gapped = await db.ScalarAsync<string[]>("SELECT array_agg(stream_id ORDER BY stream_id) FROM events WHERE type = 'coverage_gap_recorded'");
            Assert.True(affected.SequenceEqual(gapped),
                $"affected {string.Join(",", affected)}, killed {killedAt:O}; gaps:\n" + await GapsAsync(db));
            Assert.Equal((long)affected.Length, await db.ScalarAsync<long>($"""
                SELECT count(*) FROM events WHERE type = 'coverage_gap_recorded' AND data->>'detail' LIKE '%lease lapsed%'
                   AND (data->>'from')::timestamptz <= '{killedAt:O}' AND (data->>'to')::timestamptz >= '{killedAt:O}'
                """));
            Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'call_ended' AND data->>'reason' LIKE '%recorder stopped%'"));
            await AssertChainsAndProjectionsAsync(db);
        }
        finally
        {
            await DisposeAllAsync(recorders);
        }
    }

    /// <summary>
    /// Each of three instances is stopped with SIGTERM in turn while every call is under way, and started again (a
    /// new process under the same name) before the next one stops: each hands its calls over before it exits.
    /// </summary>
    [Theory]
    [InlineData("partitioned")]
    [InlineData("active-active")]
    public async Task A_rolling_restart_of_all_three_instances_mid_call_leaves_no_gap_and_doubles_nothing(string mode)
    {
        // long calls: three stops and starts fit in them even on a loaded machine
        const int utterances = 100;
        await using var own = await OwnDatabase.StartAsync();
        var db = own.Db;
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Scenario = ScenarioFile(utterances, everyMs: 2000), Speed = 2 });
        var recorders = StartInstances(emulator, db, mode);
        try
        {
            await AllListeningAsync(db, recorders);
            await Until(db, recorders, $"SELECT count(DISTINCT stream_id) = {Calls} FROM events WHERE type = 'segment_recorded'");
            foreach (var name in recorders.Keys.Order().ToList())
            {
                Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended'") == 0, $"a call ended before {name} was restarted: the restart was not under load");
                var code = await recorders[name].TerminateAsync(TimeSpan.FromSeconds(60));
                Assert.True(code == 0, $"{name} exited {code}:\n{recorders[name].Output}");
                await recorders[name].DisposeAsync();
                recorders[name] = RecorderProcess.Start(InstanceSettings(emulator, db.ConnectionString, name, mode));
                await AllListeningAsync(db, recorders);
            }
            Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended'") == 0, "a call ended before the last restart was done");

            await Until(db, recorders, $"SELECT count(*) = {Calls} FROM events WHERE type = 'call_ended'", seconds: 240);
            foreach (var (name, recorder) in recorders)
            {
                var code = await recorder.TerminateAsync(TimeSpan.FromSeconds(60));
                Assert.True(code == 0, $"{name} exited {code}:\n{recorder.Output}");
            }

            // in active-active, the known limit of the preview (README): an instance restarted as a call's standby shortly
            // before the call ends records "never subscribed" for its own part, though the owner heard it all (every
            // final must be in the record once, below). Every other gap fails the test, and any gap in partitioned mode.
            var tolerated = mode == "active-active" ? " AND data->>'detail' NOT LIKE '%never subscribed before the call ended%'" : "";
            Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'coverage_gap_recorded'" + tolerated) == 0, await GapsAsync(db));
            Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended' AND data->>'reason' LIKE '%recorder stopped%'"));
            await AssertEveryFinalOnceAsync(db, utterances);
            await AssertChainsAndProjectionsAsync(db);
        }
        finally
        {
            await DisposeAllAsync(recorders);
        }
    }

    /// <summary>
    /// silent: the network goes quiet in the middle of one of i2's appends (no reset, the relay forwards the bytes
    /// before the append function's name and nothing more). A fence sent as its own statement ahead of the append
    /// had run by then and held i2's membership row, so i1 could not declare i2 lapsed until TCP gave up.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_instance_cut_off_from_the_store_past_its_lease_by_a_reset_or_a_silent_network_mid_append_is_taken_over_and_writes_nothing_when_it_returns_and_the_others_captions_showed_its_calls(bool silent)
    {
        await using var own = await OwnDatabase.StartAsync();
        var db = own.Db;
        // calls long enough that, on a loaded machine, i1 joins, i2 is cut off and i1 takes over while they still
        // speak: with calls of 17 s, i1 sometimes started after the last final and had nothing to caption or take
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Scenario = ScenarioFile(48, everyMs: 2000), Speed = 2 });
        var builder = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        await using var relay = new TcpProxy(builder.Host!, builder.Port);
        var cut = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Host = "127.0.0.1", Port = relay.Port, Pooling = false }.ConnectionString;
        // i2 first, holding calls before i1 joins: started together, rendezvous hashing gave i1 all four calls one
        // time in sixteen, and then nothing was i2's to take over
        var recorders = new Dictionary<string, RecorderProcess> { ["i2"] = RecorderProcess.Start(InstanceSettings(emulator, cut, "i2", "partitioned")) };
        try
        {
            await AllListeningAsync(db, recorders);
            await Until(db, recorders, "SELECT count(*) > 0 FROM call_leases WHERE owner = 'i2'");
            recorders["i1"] = RecorderProcess.Start(InstanceSettings(emulator, db.ConnectionString, "i1", "partitioned"));
            await AllListeningAsync(db, recorders);
            // a caption consumer of i1 alone, live: counted from its first final, which shows it subscribed (what i2
            // recorded before is not relayed, and the stream's headers go out before it subscribes)
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(240));
            var live = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var captions = CaptionsAsync(recorders["i1"], live, stop.Token);
            await live.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var from = await db.ScalarAsync<long>("SELECT coalesce(max(seq), 0) FROM events");
            await Until(db, recorders, $"SELECT count(DISTINCT stream_id) = {Calls} FROM events WHERE type = 'segment_recorded'");
            Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM call_leases WHERE owner = 'i2'") > 0);
            // a final of each of i2's calls recorded by i2 before it is cut off
            await Until(db, recorders, $"""
                SELECT count(DISTINCT stream_id) = (SELECT count(*) FROM call_leases WHERE owner = 'i2') FROM events
                 WHERE type = 'segment_recorded' AND writer = 'i2' AND (data->>'isFinal')::boolean AND seq > {from}
                """);
            var byI2 = await db.ScalarAsync<string[]>($"SELECT array_agg(DISTINCT stream_id) FROM events WHERE type = 'segment_recorded' AND writer = 'i2' AND (data->>'isFinal')::boolean AND seq > {from}");

            if (silent)
            {
                await relay.CutSilentlyAt("append_events").WaitAsync(TimeSpan.FromSeconds(60));
            }
            else
            {
                relay.Cut();
            }
            // its lease runs out, i1 declares it lapsed and takes its calls; i2 still hears Genesys meanwhile
            await Until(db, recorders, "SELECT lapsed_at IS NOT NULL FROM recorder_instances WHERE name = 'i2'");
            await Until(db, recorders, "SELECT count(*) = 0 FROM call_leases WHERE owner = 'i2'");
            relay.Restore();

            var code = await recorders["i2"].ExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(code == 4, $"i2 exited {code}:\n{recorders["i2"].Output}");
            Assert.Contains("lost its lease", recorders["i2"].Output, StringComparison.Ordinal);
            // fenced: not one event of i2 committed after it was declared lapsed
            Assert.Equal(0L, await db.ScalarAsync<long>("""
                SELECT count(*) FROM events e JOIN recorder_instances i ON i.name = e.writer WHERE e.writer = 'i2' AND e.recorded_at >= i.lapsed_at
                """));
            await Until(db, recorders, $"SELECT count(*) = {Calls} FROM events WHERE type = 'call_ended'");
            var i1Code = await recorders["i1"].TerminateAsync(TimeSpan.FromSeconds(60));
            Assert.True(i1Code == 0, $"i1 exited {i1Code}:\n{recorders["i1"].Output}");
            await AssertChainsAndProjectionsAsync(db);
            // i1's consumer heard the finals i2 recorded, and every call's
            var heard = await captions;
            Assert.Equal(Enumerable.Range(0, Calls).Select(c => $"c0a80015-0000-4000-8000-{c:D12}"), heard.Select(h => h.Call).Distinct().Order());
            var fromI2 = await db.ScalarAsync<long>($"SELECT count(DISTINCT stream_id) FROM events WHERE writer = 'i2' AND seq IN ({string.Join(",", heard.Select(h => h.Seq))})");
            Assert.True(byI2.Length == fromI2, $"{fromI2} of {byI2.Length} calls i2 recorded were captioned by i1 with i2's finals:\n{recorders["i1"].Output}");
        }
        finally
        {
            await DisposeAllAsync(recorders);
        }
    }

    /// <summary>
    /// While its appends wait (the events table locked), an instance hears its calls end: the store names it their
    /// holder until the ends are durable, and each claim pass took the calls over again (re-subscribed, ended again).
    /// </summary>
    [Fact]
    public async Task A_call_an_instance_heard_end_is_not_taken_over_again_while_its_end_waits_for_the_store()
    {
        await using var own = await OwnDatabase.StartAsync();
        var db = own.Db;
        // at speed 1 the calls start 12 s in and end about 10 s later: the lock is taken before they start
        var scenario = Stopwatch.StartNew();
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Scenario = ScenarioFile(10, everyMs: 1000), Speed = 1 });
        var recorders = new Dictionary<string, RecorderProcess> { ["i1"] = RecorderProcess.Start(InstanceSettings(emulator, db.ConnectionString, "i1", "partitioned")) };
        try
        {
            await AllListeningAsync(db, recorders);
            int from;
            // the owner holds the events table: reads and claims go on, appends wait
            await using (var holding = await db.OwnerDataSource.OpenConnectionAsync())
            {
                await using var tx = await holding.BeginTransactionAsync();
                await using (var lockEvents = new NpgsqlCommand("LOCK TABLE events IN EXCLUSIVE MODE", holding, tx))
                {
                    await lockEvents.ExecuteNonQueryAsync();
                }
                from = recorders["i1"].Output.Length;
                Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended'") == 0, "a call ended before the store was held: the test ran too late to hold its end");
                // every call found, heard and ended while the appends wait, then a dozen claim passes (one a second)
                while (scenario.Elapsed < TimeSpan.FromSeconds(36))
                {
                    await Task.Delay(250);
                }
                Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM call_leases WHERE owner = 'i1'") == Calls, "the calls were not all claimed while the store was held");
                await tx.RollbackAsync();
            }
            await Until(db, recorders, $"SELECT count(*) = {Calls} FROM events WHERE type = 'call_ended'");
            var code = await recorders["i1"].TerminateAsync(TimeSpan.FromSeconds(60));
            Assert.True(code == 0, $"i1 exited {code}:\n{recorders["i1"].Output}");
            Assert.DoesNotContain("Taking over call", recorders["i1"].Output[from..], StringComparison.Ordinal);
            Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'coverage_gap_recorded'") == 0, await GapsAsync(db));
            await AssertEveryFinalOnceAsync(db, 10);
        }
        finally
        {
            await DisposeAllAsync(recorders);
        }
    }

    private static Task<string> GapsAsync(Database db) => db.ScalarAsync<string>("""
        SELECT coalesce(string_agg(stream_id || ' ' || (data->>'from') || ' ' || (data->>'to') || ' ' || writer || ' ' || (data->>'detail'), E'\n'), 'no gaps')
          FROM events WHERE type = 'coverage_gap_recorded'
        """);

    /// <summary>Final captions (call and sequence number) from an instance's SSE stream, until it ends as the instance stops.</summary>
    private static async Task<List<(string Call, long Seq)>> CaptionsAsync(RecorderProcess recorder, TaskCompletionSource live, CancellationToken ct)
    {
        while (!recorder.Output.Contains("Live captions: ", StringComparison.Ordinal))
        {
            await Task.Delay(100, ct);
        }
        var url = System.Text.RegularExpressions.Regex.Match(recorder.Output, @"Live captions: (http://[^/\s]+)/").Groups[1].Value;
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Add("X-Api-Key", "ops-key-for-tests");
        using var response = await http.GetAsync("/api/captions/stream", HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(body);
        var finals = new List<(string, long)>();
        try
        {
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal) && System.Text.Json.Nodes.JsonNode.Parse(line[6..]) is { } c
                    && c["kind"]!.GetValue<string>() == "segment" && c["isFinal"]!.GetValue<bool>())
                {
                    finals.Add((c["conversationId"]!.GetValue<string>(), c["seq"]!.GetValue<long>()));
                    live.TrySetResult();
                }
            }
        }
        catch (IOException)
        {
            // the instance stopped: its stream ends
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the test's bound: what was heard so far is what the assertions see
        }
        return finals;
    }

    /// <summary>A database of the test's own: instance names and call ids are the same in each test.</summary>
    private sealed class OwnDatabase : IAsyncDisposable
    {
        private OwnDatabase(Database db) => Db = db;

        public Database Db { get; }

        public static async Task<OwnDatabase> StartAsync()
        {
            var db = new Database();
            await db.InitializeAsync();
            return new OwnDatabase(db);
        }

        public async ValueTask DisposeAsync() => await Db.DisposeAsync();
    }

    /// <summary>Calls that begin some seconds after the first recorder listens, so all three have joined by then.</summary>
    private static string ScenarioFile(int utterances = Utterances, int everyMs = 2500)
    {
        var calls = Enumerable.Range(0, Calls).Select(c => new
        {
            conversationId = $"c0a80015-0000-4000-8000-{c:D12}",
            startMs = 12_000 + (c * 700),
            utterances = Enumerable.Range(0, utterances).Select(u => new
            {
                channel = u % 2 == 0 ? "INTERNAL" : "EXTERNAL",
                atMs = 500 + (u * everyMs),
                text = $"this is sentence number {u} of call {c} and nothing more",
            }),
        });
        var path = Path.Combine(Path.GetTempPath(), $"ha-scenario-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { queueId = "ha-queue", calls }));
        return path;
    }

    private static Dictionary<string, string> InstanceSettings(GenesysEmulator emulator, string connectionString, string name, string mode)
    {
        var settings = RecorderProcess.Settings(emulator, connectionString);
        settings["Recorder:Instance:Name"] = name;
        settings["Recorder:Instance:Mode"] = mode;
        settings["Recorder:CallIdleSeconds"] = "5";
        return settings;
    }

    private static Dictionary<string, RecorderProcess> StartInstances(GenesysEmulator emulator, Database db, string mode) =>
        new[] { "i1", "i2", "i3" }.ToDictionary(n => n, n => RecorderProcess.Start(InstanceSettings(emulator, db.ConnectionString, n, mode)));

    /// <summary>Every instance has joined the store and opened its channel on the queue.</summary>
    private static async Task AllListeningAsync(Database db, Dictionary<string, RecorderProcess> recorders)
    {
        await Until(db, recorders, $"SELECT count(*) = {recorders.Count} FROM recorder_instances WHERE lapsed_at IS NULL");
        foreach (var recorder in recorders.Values)
        {
            await Until(db, recorders, "SELECT true", () => recorder.Output.Contains("connected, following", StringComparison.Ordinal));
        }
    }

    /// <summary>Each scripted final is in the record once, however many instances heard it.</summary>
    private static async Task AssertEveryFinalOnceAsync(Database db, int utterances = Utterances)
    {
        Assert.Equal((long)Calls * utterances, await db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE is_final AND NOT backfilled"));
        Assert.Equal((long)Calls * utterances, await db.ScalarAsync<long>("SELECT count(DISTINCT (conversation_id, channel, utterance_id)) FROM audit_log WHERE is_final"));
    }

    private static async Task AssertChainsAndProjectionsAsync(Database db)
    {
        var report = await ChainVerifier.VerifyAsync(db.DataSource);
        Assert.True(report.Ok, string.Join("; ", report.Broken.Select(x => $"{x.StreamId} v{x.Version}: {x.Reason}")));
        await ComplianceRecorder.Tests.Faults.RecorderKillTests.AssertProjectionsEqualARebuildAsync(db);
    }

    private static async Task Until(Database db, Dictionary<string, RecorderProcess> recorders, string sql, Func<bool>? also = null, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!(await db.ScalarAsync<bool?>(sql) ?? false) || (also is not null && !also()))
        {
            if (DateTime.UtcNow >= deadline)
            {
                // who waits on whom in the store, beside what the recorders printed: a stall's cause is in the locks
                var sessions = await OwnerScalarAsync(db, """
                    SELECT coalesce(string_agg(format('pid %s %s %s/%s since %s blocked by %s: %s', a.pid, a.state, a.wait_event_type, a.wait_event,
                           a.xact_start, pg_blocking_pids(a.pid), left(a.query, 160)), E'\n'), 'no sessions')
                      FROM pg_stat_activity a WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
                    """) + "\n" + await OwnerScalarAsync(db, """
                    SELECT coalesce(string_agg(format('lock %s %s %s/%s/%s %s granted %s', l.pid, l.locktype, l.classid, l.objid, l.relation::regclass, l.mode, l.granted), E'\n'), 'no locks')
                      FROM pg_locks l WHERE (l.locktype IN ('advisory', 'transactionid', 'tuple') OR NOT l.granted)
                       AND l.pid IN (SELECT a.pid FROM pg_stat_activity a WHERE a.datname = current_database())
                    """);
                // the store's sessions last: a report cut to its tail still shows them
                Assert.Fail($"timed out waiting for {sql}; the recorders printed:\n"
                    + string.Join("\n", recorders.Select(r => $"--- {r.Key}\n{r.Value.Output}")) + $"\n--- the store's sessions and locks:\n{sessions}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>As the store's owner, who sees every session's state (the recorder's role sees only its own).</summary>
    private static async Task<string> OwnerScalarAsync(Database db, string sql)
    {
        await using var cmd = db.OwnerDataSource.CreateCommand(sql);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task DisposeAllAsync(Dictionary<string, RecorderProcess> recorders)
    {
        foreach (var recorder in recorders.Values)
        {
            await recorder.DisposeAsync();
        }
    }
}
