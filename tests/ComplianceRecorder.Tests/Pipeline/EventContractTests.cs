using System.Text.Json;
using System.Text.RegularExpressions;
using ComplianceRecorder.EventStore.Schema;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.EventStore;

namespace ComplianceRecorder.Tests.Pipeline;

/// <summary>
/// One event contract: the keys the SQL reads from <c>events.data</c> (views, projection functions, reports,
/// captions, verify) are keys the events are serialized with, so renaming one breaks this test and not,
/// silently, a projection.
/// </summary>
public sealed partial class EventContractTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    /// <summary>One of each stored event type, every field set.</summary>
    private static readonly RecordedEvent[] Samples =
    [
        EventStoreTests.Segment("call-1", "u1", 1, true) with { SourceSequence = 7, MediaSessionId = "m-1", SourceTime = T0 },
        new CoverageGapRecorded("call-1", "EXTERNAL", GapKind.SequenceGap, T0, T0.AddSeconds(2), 3, 5, 1, "messages 4..4 never came"),
        new CallStarted("call-1", "notifications", T0) { QueueId = "queue-1", AgentId = "user-1", AgentName = "Agent One" },
        new CallEnded("call-1", "hung up", T0),
        new FrameQuarantined("not JSON", "{", 1, T0),
        new MetricsWindowClosed("all", T0, T0.AddSeconds(10), 3, 12, 1, 2, 3, 4, 0, -1),
        new ReportAccessed("auditor", "calls", "format=csv", T0),
        new BackfillFailed("call-1", "HTTP 503", T0),
        new EventRefused("call-1", SegmentRecorded.TypeName, "utt:1", "22P05", "unsupported Unicode escape", T0),
        new LegalHoldPlaced("hold-1", "queue", "q-1", "litigation", "legal", T0),
        new LegalHoldLifted("hold-1", "settled", "legal", T0),
        new CustomerTagged("call-1", "ab12", "agent", T0),
        new CallErased("call-1", "call-1", "erasure-1", "dpo", "art. 17", "T-1", T0),
        new CallExpired("call-1", "call-1", "default", 90, false, T0, T0),
        new ErasureRequested("erasure-1", "customer", "ab12", "dpo", "art. 17", "T-1", ["call-1"], [], T0),
        new RetentionPolicySet("q-1", 90, "ops", T0),
    ];

    /// <summary>Keys read where a recorder that knows them writes them (#16 reads a call's queue and agent if present), not serialized by this build.</summary>
    private static readonly (string Type, string Key)[] ReadIfPresent = [(CallStarted.TypeName, "queueId"), (CallStarted.TypeName, "agentId")];

    // events.data (or p_data in a function) followed by ->, ->>, #> or #>> and a quoted key or '{path}'
    [GeneratedRegex("""(?<![\w])(?:[A-Za-z_]\w*\.)?(?:p_)?data\s*(?:->>|->|#>>|#>)\s*'([^']*)'""")]
    private static partial Regex DataKey();

    [GeneratedRegex(""""(?:\$*"""[\s\S]*?"""|\$?@?"(?:[^"\\\n]|\\.)*")"""")]
    private static partial Regex StringLiteral();

    /// <summary>Each place that reads event data: where, the key path, and the event types it names (none: any).</summary>
    private static IEnumerable<(string Where, string[] Path, string[] Types)> Reads()
    {
        var typeNames = Samples.Select(s => s.Type).ToArray();
        var chunks = new List<(string Where, string Text)>();
        var set = Migrator.Embedded();
        chunks.AddRange(set.Versioned.Select(m => (m.Name, m.Sql)).Concat(set.Functions).SelectMany(f => Statements(f.Item2).Select(s => ("migrations/" + f.Item1, s))));
        var src = Path.Combine(RepositoryRoot(), "src");
        foreach (var file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal)))
        {
            chunks.AddRange(StringLiteral().Matches(File.ReadAllText(file)).Select(m => (Path.GetRelativePath(RepositoryRoot(), file), m.Value)));
        }
        foreach (var (where, text) in chunks)
        {
            var types = typeNames.Where(t => Regex.IsMatch(text, $@"\b{t}\b")).ToArray();
            foreach (Match m in DataKey().Matches(text))
            {
                var key = m.Groups[1].Value;
                var path = key.StartsWith('{') ? key.Trim('{', '}').Split(',', StringSplitOptions.TrimEntries) : [key];
                yield return (where, path, types);
            }
        }
    }

    /// <summary>SQL statements, split at semicolons outside dollar-quoted bodies; comments stay with the statement after them.</summary>
    private static IEnumerable<string> Statements(string sql)
    {
        var start = 0;
        var quoted = false;
        for (var i = 0; i < sql.Length; i++)
        {
            if (sql[i] == '$' && i + 1 < sql.Length && sql[i + 1] == '$')
            {
                quoted = !quoted;
                i++;
            }
            else if (sql[i] == ';' && !quoted)
            {
                yield return sql[start..(i + 1)];
                start = i + 1;
            }
        }
        yield return sql[start..];
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ComplianceRecorder.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("the repository holding ComplianceRecorder.sln was not found above " + AppContext.BaseDirectory);
    }

    private static bool Has(JsonElement data, string[] path)
    {
        foreach (var step in path)
        {
            if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty(step, out data))
            {
                return false;
            }
        }
        return true;
    }

    [Fact]
    public void Every_key_the_sql_reads_from_event_data_is_serialized_by_the_event_types_it_reads()
    {
        var serialized = Samples.ToDictionary(s => s.Type, s => JsonDocument.Parse(EventJson.Serialize(s)).RootElement);
        var reads = Reads().ToList();

        // the scan finds what it must: the projections', the reports' and the captions' reads
        Assert.Contains(reads, r => r.Where == "migrations/001_schema.sql" && r.Path.SequenceEqual(["lostCount"]) && r.Types.Contains(CoverageGapRecorded.TypeName));
        Assert.Contains(reads, r => r.Where == "migrations/functions/project_metrics.sql" && r.Path.SequenceEqual(["p99Ms"]) && r.Types.SequenceEqual([MetricsWindowClosed.TypeName]));
        Assert.Contains(reads, r => r.Where.EndsWith("WebVtt.cs", StringComparison.Ordinal) && r.Path.SequenceEqual(["durationMs"]) && r.Types.SequenceEqual([SegmentRecorded.TypeName]));
        var missing = reads
            .Where(r => !(r.Path.Length == 1 && r.Types.Length > 0 && r.Types.All(t => ReadIfPresent.Contains((t, r.Path[0])))))
            .Where(r => !(r.Types.Length == 0 ? serialized.Keys.ToArray() : r.Types).Any(t => Has(serialized[t], r.Path)))
            .Select(r => $"{r.Where} reads '{string.Join(",", r.Path)}' from {(r.Types.Length == 0 ? "any event" : string.Join(" or ", r.Types))}, which is not serialized with it")
            .Distinct()
            .ToList();
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    [Fact]
    public void A_call_started_before_queue_and_agent_were_kept_still_reads_and_one_without_them_writes_no_keys_for_them()
    {
        var older = (CallStarted)EventJson.Deserialize(CallStarted.TypeName, 1, """{"conversationId":"call-1","dialect":"notifications","at":"2026-11-24T10:00:00+00:00"}""")!;
        var newer = (CallStarted)EventJson.Deserialize(CallStarted.TypeName, 1, EventJson.Serialize(Samples.OfType<CallStarted>().Single()))!;
        var media = EventJson.Serialize(new CallStarted("call-2", "media", T0));

        Assert.Equal(("call-1", T0), (older.ConversationId, older.At));
        Assert.Null(older.QueueId);
        Assert.Null(older.AgentName);
        Assert.Equal(("queue-1", "user-1", "Agent One"), (newer.QueueId, newer.AgentId, newer.AgentName));
        // an event recorded without them is the same JSON as before they existed
        var keys = JsonDocument.Parse(media).RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.DoesNotContain("queueId", keys);
        Assert.DoesNotContain("agentId", keys);
        Assert.DoesNotContain("agentName", keys);
        Assert.Contains("conversationId", keys);
    }
}
