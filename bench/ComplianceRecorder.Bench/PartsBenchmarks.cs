using BenchmarkDotNet.Attributes;
using ComplianceRecorder.Pipeline.Redaction;

namespace ComplianceRecorder.Bench;

/// <summary>The redactor's stages over the dev set, to see where its time goes.</summary>
[MemoryDiagnoser]
public class RedactionPartsBenchmarks
{
    private string[] _texts = [];
    private readonly List<Token> _tokens = new(64);

    [GlobalSetup]
    public void Load() => _texts = [.. File.ReadLines(RedactionBenchmarks.FindDevSet()).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];

    [Benchmark]
    public int Scan()
    {
        var n = 0;
        foreach (var t in _texts)
        {
            n += Lexicon.Scan(t, _tokens, out _).Count;
        }
        return n;
    }

    [Benchmark]
    public int ScanTopicsRuns()
    {
        var n = 0;
        foreach (var t in _texts)
        {
            var toks = Lexicon.Scan(t, _tokens, out _);
            n += Topics.Find(t, toks).Count + NumberRuns.Find(t, toks, new bool[t.Length + 1]).Count;
        }
        return n;
    }

    [Benchmark]
    public int Normalize()
    {
        var n = 0;
        foreach (var t in _texts)
        {
            n += ComplianceRecorder.Pipeline.Normalization.TextNormalizer.Normalize(t).Length;
        }
        return n;
    }
}
