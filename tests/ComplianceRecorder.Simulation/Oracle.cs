using System.Diagnostics;
using System.Text.Json.Nodes;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Projections;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ComplianceRecorder.Simulation;

/// <summary>
/// What must hold after a run, derived from the script alone (Jepsen's checker, not the recorder's own
/// view): each clause returns its failures, named by the clause.
/// </summary>
public static class Oracle
{
    /// <summary>Wall-clock slack around an utterance when asking whether a gap covers it.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    public static async Task<List<string>> JudgeAsync(SimulationPlan plan, RunRecord run, NpgsqlDataSource db, string connectionString, IReadOnlyDictionary<string, string> settings)
    {
        var failures = new List<string>();
        failures.AddRange(Settled(run));
        failures.AddRange(ExitCodes(plan, run));
        var store = await StoreView.ReadAsync(db).ConfigureAwait(false);
        failures.AddRange(Finals(plan, run, store));
        failures.AddRange(CallsEnded(store));
        failures.AddRange(PiiInStore(plan, store));
        failures.AddRange(PiiInLogs(plan, run));
        failures.AddRange(PiiInCaptions(plan, run));
        failures.AddRange(await VerifyAsync(connectionString, settings).ConfigureAwait(false));
        failures.AddRange(await ProjectionsEqualARebuildAsync(db).ConfigureAwait(false));
        return failures;
    }

    private static IEnumerable<string> Settled(RunRecord run) =>
        run.Notes.Where(n => n.Contains("did not settle", StringComparison.Ordinal) || n.Contains("never subscribed", StringComparison.Ordinal))
            .Select(n => "settled: " + n.Trim());

    /// <summary>
    /// 0 after a SIGTERM, within the bound (or 4 from an instance fenced after its lease lapsed); a process that ended
    /// without being told faulted, and exit 0 then is a lie.
    /// </summary>
    private static IEnumerable<string> ExitCodes(SimulationPlan plan, RunRecord run)
    {
        // a lease lapses on its own only while the store is down: elsewhere a fenced instance is a failure of its own
        var outage = plan.Topology.Shared && plan.Faults.Any(f => f.Kind == FaultKind.PostgresStopped);
        foreach (var r in run.Recorders)
        {
            if (r.EndedOnItsOwn)
            {
                // a fault that ends the process is honest when the exit code says so; what it cost is judged by the other clauses
                if (r.ExitCode == 0)
                {
                    yield return $"exit-codes: {r.Name} ended on its own with exit 0, as if it had been stopped; it last printed: {string.Join(" / ", r.Lines.TakeLast(3))}";
                }
            }
            else if (r.Terminated && r.ExitAfterTerm is null)
            {
                yield return $"exit-codes: {r.Name} had not ended 30 s after SIGTERM";
            }
            else if (r.Terminated && r.ExitAfterTerm == 4 && outage && r.Lines.Any(l => l.Contains("lost its lease", StringComparison.Ordinal)))
            {
                // an instance whose lease lapsed while the store was down is fenced when it comes back, SIGTERM or not: exit 4
                // says it could not write what it still held (documented); what that cost is judged by the other clauses
                continue;
            }
            else if (r.Terminated && r.ExitAfterTerm != 0)
            {
                yield return $"exit-codes: {r.Name} exited {r.ExitAfterTerm} after SIGTERM; it last printed: {string.Join(" / ", r.Lines.TakeLast(3))}";
            }
        }
    }

    /// <summary>
    /// Each scripted final is stored exactly once, live (by its utterance id) or backfilled (by its place in
    /// the stored transcript), or not at all and then inside a gap of its call (or after the call's recorded
    /// end said the recorder stopped).
    /// </summary>
    private static IEnumerable<string> Finals(SimulationPlan plan, RunRecord run, StoreView store)
    {
        foreach (var call in plan.Scenario.Calls)
        {
            if (!run.CallsAnnounced.TryGetValue(call.ConversationId, out var announced))
            {
                yield return $"finals: call {call.ConversationId} was never played (the emulator did not announce it)";
                continue;
            }
            var finals = Transcriber.Emissions(call, plan.Seed).Where(e => e.IsFinal).ToList();
            var recorded = store.Started.Contains(call.ConversationId);
            var missing = new List<int>();
            for (var k = 0; k < finals.Count; k++)
            {
                var e = finals[k];
                var live = store.Finals.Count(f => f.Call == call.ConversationId && !f.Backfilled && f.UtteranceId == e.UtteranceId);
                var backfilled = store.Finals.Count(f => f.Call == call.ConversationId && f.Backfilled && f.UtteranceId.EndsWith($"-{k}", StringComparison.Ordinal));
                if (live + backfilled > 1)
                {
                    yield return $"finals: call {call.ConversationId} utterance {k} ({e.Channel}) stored {live + backfilled} times ({live} live, {backfilled} backfilled)";
                }
                else if (live + backfilled == 0)
                {
                    var u = call.Utterances[k];
                    var from = announced + TimeSpan.FromMilliseconds(1000 + (u.AtMs / plan.Speed)) - Slack;
                    var to = announced + TimeSpan.FromMilliseconds(1000 + (e.AtMs / plan.Speed)) + Slack;
                    var covered = store.Gaps.Any(g => g.Call == call.ConversationId && (g.Channel is null or "" || g.Channel == e.Channel) && g.From <= to && g.To >= from)
                        || store.StoppedAt.TryGetValue(call.ConversationId, out var stopped) && stopped <= to;
                    if (!covered)
                    {
                        missing.Add(k);
                        if (recorded)
                        {
                            yield return $"finals: call {call.ConversationId} utterance {k} ({e.Channel}, said {from + Slack:HH:mm:ss.fff}-{to - Slack:HH:mm:ss.fff}) stored 0 times and no gap covers it";
                        }
                    }
                }
            }
            if (!recorded && missing.Count > 0)
            {
                yield return $"finals: call {call.ConversationId} was never recorded (no call_started) and no gap says so: {missing.Count} finals lost";
            }
        }
    }

    private static IEnumerable<string> CallsEnded(StoreView store) =>
        store.Started.Where(c => !store.Ended.Contains(c)).Select(c => $"calls: call {c} was started in the store and never ended");

    private static IEnumerable<string> PiiInStore(SimulationPlan plan, StoreView store)
    {
        var said = SaidShort(plan);
        foreach (var (where, text, call, utterance, backfilled) in store.Texts)
        {
            foreach (var f in PiiScan.Findings(text, plan.Pii))
            {
                yield return $"pii-store: {f} in {where}";
            }
            if (utterance is not null && ShortSaidBy(said, call, utterance, backfilled) is { } p)
            {
                foreach (var f in PiiScan.Findings(store.SegmentText(where), [p], p))
                {
                    yield return $"pii-store: {f} in {where}";
                }
            }
        }
    }

    private static IEnumerable<string> PiiInLogs(SimulationPlan plan, RunRecord run)
    {
        foreach (var r in run.Recorders)
        {
            foreach (var line in r.Lines)
            {
                foreach (var f in PiiScan.Findings(line, plan.Pii))
                {
                    yield return $"pii-logs: {f} in a line {r.Name} printed";
                }
            }
        }
    }

    private static IEnumerable<string> PiiInCaptions(SimulationPlan plan, RunRecord run)
    {
        var said = SaidShort(plan);
        var served = run.Recorders.SelectMany(r => r.Captions.Select(c => (Where: $"a caption {r.Name} streamed", Json: c)))
            .Concat(run.FinalCaptionsByCall.Select(c => (Where: $"GET /api/calls/{c.Key}/captions", Json: c.Value)));
        foreach (var (where, json) in served)
        {
            foreach (var f in PiiScan.Findings(PiiScan.Strings(json), plan.Pii))
            {
                yield return $"pii-captions: {f} in {where}";
            }
            foreach (var caption in Captions(json))
            {
                var call = caption["conversationId"]?.GetValue<string>() ?? "";
                var utterance = caption["utteranceId"]?.GetValue<string>() ?? "";
                if (ShortSaidBy(said, call, utterance, utterance.StartsWith("stored-", StringComparison.Ordinal)) is { } p)
                {
                    foreach (var f in PiiScan.Findings(caption["text"]?.GetValue<string>() ?? "", [p], p))
                    {
                        yield return $"pii-captions: {f} in {where}";
                    }
                }
            }
        }
    }

    private static IEnumerable<JsonNode> Captions(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            yield break;
        }
        if (node is JsonArray array)
        {
            foreach (var item in array)
            {
                if (item is JsonObject)
                {
                    yield return item;
                }
            }
        }
        else if (node is JsonObject)
        {
            yield return node;
        }
    }

    /// <summary>Short values (a CVV) by the utterance that said them: its live id, and its place in the stored transcript.</summary>
    private static Dictionary<(string Call, string Key), ScriptedPii> SaidShort(SimulationPlan plan)
    {
        var said = new Dictionary<(string, string), ScriptedPii>();
        foreach (var p in plan.Pii.Where(p => p.Kind is not ("card" or "phone" or "email")))
        {
            var call = plan.Scenario.Calls.First(c => c.ConversationId == p.ConversationId);
            var final = Transcriber.Emissions(call, plan.Seed).Where(e => e.IsFinal).ElementAt(p.Utterance);
            said[(p.ConversationId, final.UtteranceId)] = p;
            said[(p.ConversationId, $"-{p.Utterance}")] = p;
        }
        return said;
    }

    private static ScriptedPii? ShortSaidBy(Dictionary<(string Call, string Key), ScriptedPii> said, string call, string utterance, bool backfilled) =>
        said.GetValueOrDefault((call, backfilled ? utterance[utterance.LastIndexOf('-')..] : utterance));

    /// <summary>The `verify` verb, as an operator runs it, exits 0.</summary>
    private static async Task<IEnumerable<string>> VerifyAsync(string connectionString, IReadOnlyDictionary<string, string> settings)
    {
        var info = RecorderChild.Verb("verify", new Dictionary<string, string>
        {
            ["ConnectionStrings:EventStore"] = connectionString,
            ["Recorder:CheckpointKey"] = settings["Recorder:CheckpointKey"],
        });
        using var verify = Process.Start(info)!;
        var output = verify.StandardOutput.ReadToEndAsync();
        var errors = verify.StandardError.ReadToEndAsync();
        await verify.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        return verify.ExitCode == 0 ? [] : [$"verify: exit {verify.ExitCode}: {(await output.ConfigureAwait(false)).Trim()} {(await errors.ConfigureAwait(false)).Trim()}"];
    }

    private const string Projections = """
        SELECT coalesce(string_agg(t, E'\n' ORDER BY t), '') FROM (
          SELECT a::text AS t FROM audit_log a UNION ALL SELECT s::text FROM call_summaries s
          UNION ALL SELECT w::text FROM metrics_windows w UNION ALL SELECT d::text FROM metrics_daily d) x
        """;

    /// <summary>The live projections, once the daemon has caught up, are what a rebuild from the events gives.</summary>
    private static async Task<IEnumerable<string>> ProjectionsEqualARebuildAsync(NpgsqlDataSource db)
    {
        var daemon = new ProjectionDaemon(db, TimeProvider.System, NullLogger.Instance);
        while (await daemon.StepAsync().ConfigureAwait(false) > 0)
        {
        }
        var live = await ScalarAsync(db, Projections).ConfigureAwait(false);
        foreach (var projection in Rebuilder.Projections)
        {
            await Rebuilder.RebuildAsync(db, projection).ConfigureAwait(false);
        }
        var rebuilt = await ScalarAsync(db, Projections).ConfigureAwait(false);
        if (live == rebuilt)
        {
            return [];
        }
        var a = live.Split('\n').ToHashSet();
        var b = rebuilt.Split('\n').ToHashSet();
        return [$"projections: live and rebuilt differ; only live: {string.Join(" | ", a.Except(b).Take(3))}; only rebuilt: {string.Join(" | ", b.Except(a).Take(3))}"];
    }

    private static async Task<string> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return (string)(await cmd.ExecuteScalarAsync().ConfigureAwait(false))!;
    }
}

/// <summary>The store as the oracle reads it after the run.</summary>
internal sealed record StoreView(
    List<(string Call, string UtteranceId, bool Backfilled, string Channel)> Finals,
    List<(string Call, string? Channel, DateTimeOffset From, DateTimeOffset To)> Gaps,
    HashSet<string> Started,
    HashSet<string> Ended,
    Dictionary<string, DateTimeOffset> StoppedAt,
    List<(string Where, string Text, string Call, string? Utterance, bool Backfilled)> Texts,
    Dictionary<string, string> SegmentTexts)
{
    public string SegmentText(string where) => SegmentTexts.GetValueOrDefault(where, "");

    public static async Task<StoreView> ReadAsync(NpgsqlDataSource db)
    {
        var view = new StoreView([], [], [], [], [], [], []);
        // the text is sealed with each call's key: judged as the readers show it, and scanned for PII opened too
        using var text = new ComplianceRecorder.EventStore.Encryption.StoredText(db, new ComplianceRecorder.EventStore.Encryption.LocalMasterKeys(SimulationRun.MasterKey)).Begin();
        await using (var cmd = db.CreateCommand("SELECT seq, type, stream_id, data::text, coalesce(metadata::text, ''), source_key, writer FROM events ORDER BY seq"))
        await using (var r = await cmd.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await r.ReadAsync().ConfigureAwait(false))
            {
                var seq = r.GetInt64(0);
                var type = r.GetString(1);
                var stream = r.GetString(2);
                var data = JsonNode.Parse(r.GetString(3))!;
                var sourceKey = r.IsDBNull(5) ? null : r.GetString(5);
                foreach (var field in new[] { "text", "redactedFrame" })
                {
                    if (data[field] is JsonValue v && v.TryGetValue<string>(out var stored))
                    {
                        data[field] = await text.OpenAsync(stored, stream, type, sourceKey).ConfigureAwait(false);
                    }
                }
                string? utterance = null;
                var backfilled = false;
                if (type == "segment_recorded")
                {
                    utterance = data["utteranceId"]?.GetValue<string>() ?? "";
                    backfilled = data["backfilled"]?.GetValue<bool>() ?? false;
                }
                // which writer and which path put it there: a finding's first question
                var where = utterance is null ? $"event {seq} ({type}, written by {r.GetString(6)})"
                    : $"event {seq} ({type}, {(backfilled ? "backfilled" : "live")} utterance {utterance}, written by {r.GetString(6)})";
                switch (type)
                {
                    case "segment_recorded":
                        view.SegmentTexts[where] = data["text"]?.GetValue<string>() ?? "";
                        if (data["isFinal"]?.GetValue<bool>() == true)
                        {
                            view.Finals.Add((stream, utterance!, backfilled, data["channel"]?.GetValue<string>() ?? ""));
                        }
                        break;
                    case "coverage_gap_recorded":
                        view.Gaps.Add((stream, data["channel"]?.GetValue<string>(), data["from"]!.GetValue<DateTimeOffset>(), data["to"]!.GetValue<DateTimeOffset>()));
                        break;
                    case "call_started":
                        view.Started.Add(stream);
                        break;
                    case "call_ended":
                        view.Ended.Add(stream);
                        if ((data["reason"]?.GetValue<string>() ?? "").Contains("stopped", StringComparison.OrdinalIgnoreCase))
                        {
                            view.StoppedAt[stream] = data["at"]!.GetValue<DateTimeOffset>();
                        }
                        break;
                    default:
                        break;
                }
                view.Texts.Add((where, PiiScan.Strings(data.ToJsonString()) + PiiScan.Strings(r.GetString(4)), stream, utterance, backfilled));
            }
        }
        foreach (var table in new[] { "audit_log", "call_summaries" })
        {
            await using var cmd = db.CreateCommand($"SELECT row_to_json(t)::text FROM {table} t");
            await using var r = await cmd.ExecuteReaderAsync().ConfigureAwait(false);
            var n = 0;
            while (await r.ReadAsync().ConfigureAwait(false))
            {
                view.Texts.Add(($"{table} row {++n}", PiiScan.Strings(r.GetString(0)), "", null, false));
            }
        }
        return view;
    }
}
