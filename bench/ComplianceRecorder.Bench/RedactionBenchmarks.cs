using System.Text.Json;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using ComplianceRecorder.Pipeline.Redaction;

namespace ComplianceRecorder.Bench;

/// <summary>
/// The redactor over the public dev set (1,500 utterances), against the tutorial's normalize-and-four-regexes
/// ported as written. The same texts are timed under node with the tutorial's own TypeScript by
/// bench/tutorial-redactor.mjs, for the cross-runtime ratio in RESULTS.md.
/// </summary>
[MemoryDiagnoser]
public partial class RedactionBenchmarks
{
    private (string Conversation, string Text)[] _lines = [];

    [GlobalSetup]
    public void Load()
    {
        var path = FindDevSet();
        _lines = [.. File.ReadLines(path).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            return (doc.RootElement.GetProperty("conversationId").GetString()!, doc.RootElement.GetProperty("text").GetString()!);
        })];
    }

    [Benchmark(Baseline = true, Description = "tutorial: normalize + 4 regexes")]
    public int Tutorial()
    {
        var n = 0;
        foreach (var (_, text) in _lines)
        {
            n += TutorialRedact(text).Length;
        }
        return n;
    }

    [Benchmark(Description = "ours: RedactionSession per conversation")]
    public int Ours()
    {
        var n = 0;
        string? conversation = null;
        RedactionSession? session = null;
        foreach (var (c, text) in _lines)
        {
            if (c != conversation)
            {
                conversation = c;
                session = new RedactionSession();
            }
            n += session!.Redact(text, Speaker.Customer, true).Text.Length;
        }
        return n;
    }

    // The tutorial's normalizeAndRedact, regex for regex (its flaws included).
    private static string TutorialRedact(string raw)
    {
        var normalized = Punct().Replace(Whitespace().Replace(raw, " "), "$1").Trim();
        normalized = Ssn().Replace(normalized, "[SSN]");
        normalized = Phone().Replace(normalized, "[PHONE]");
        normalized = Email().Replace(normalized, "[EMAIL]");
        return Card().Replace(normalized, "[CC]");
    }

    [GeneratedRegex(@"\s+")] private static partial Regex Whitespace();
    [GeneratedRegex(@"([.,!?])\s*")] private static partial Regex Punct();
    [GeneratedRegex(@"\b\d{3}-\d{2}-\d{4}\b")] private static partial Regex Ssn();
    [GeneratedRegex(@"\b\d{3}[-.\s]?\d{3}[-.\s]?\d{4}\b")] private static partial Regex Phone();
    [GeneratedRegex(@"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Z|a-z]{2,}\b")] private static partial Regex Email();
    [GeneratedRegex(@"\b\d{4}[-\s]?\d{4}[-\s]?\d{4}[-\s]?\d{4}\b")] private static partial Regex Card();

    internal static string FindDevSet()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var p = Path.Combine(dir.FullName, "shared", "eval", "presidio-synth.jsonl");
            if (File.Exists(p))
            {
                return p;
            }
        }
        throw new FileNotFoundException("../shared/eval/presidio-synth.jsonl beside the checkout");
    }
}
