using System.Text.Json;
using System.Text.Json.Serialization;

namespace ComplianceRecorder.Emulator;

/// <summary>A scenario: calls on a queue, each a list of utterances said at an offset from the call's start.</summary>
public sealed record Scenario(string QueueId, IReadOnlyList<ScriptedCall> Calls)
{
    public static Scenario Load(string name)
    {
        if (LoadScenario.TryParse(name, out var generated))
        {
            return generated;
        }
        if (File.Exists(name))
        {
            return Parse(File.ReadAllText(name));
        }
        using var s = typeof(Scenario).Assembly.GetManifestResourceStream($"Scenarios.{name}.json")
            ?? throw new FileNotFoundException($"no scenario file or built-in scenario named '{name}'");
        using var r = new StreamReader(s);
        return Parse(r.ReadToEnd());
    }

    public static Scenario Parse(string json) =>
        JsonSerializer.Deserialize(json, ScenarioJson.Default.Scenario) ?? throw new InvalidDataException("empty scenario");
}

public sealed record ScriptedCall(string ConversationId, long StartMs, IReadOnlyList<ScriptedUtterance> Utterances);

public sealed record ScriptedUtterance(string Channel, long AtMs, string Text);

/// <summary>One message the transcription engine would send: a partial or a final of an utterance.</summary>
public sealed record Emission(long AtMs, string Channel, string UtteranceId, bool IsFinal, string Text, long OffsetMs, long DurationMs);

public static class Transcriber
{
    private const int MsPerWord = 280;

    /// <summary>
    /// Utterances grow word by word as partials (every two words), then one final, the way a
    /// streaming recognizer revises its hypothesis. Deterministic for a given seed.
    /// </summary>
    public static IEnumerable<Emission> Emissions(ScriptedCall call, int seed)
    {
        // string hashes are randomized per process; this one is stable, so ids repeat under a seed
        var stable = 17;
        foreach (var c in call.ConversationId)
        {
            stable = unchecked((stable * 31) + c);
        }
        var random = new Random(seed ^ stable);
        var bytes = new byte[16];
        foreach (var u in call.Utterances)
        {
            random.NextBytes(bytes);
            var id = new Guid(bytes).ToString();
            var words = u.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (var n = 2; n < words.Length; n += 2)
            {
                yield return new Emission(u.AtMs + (n * MsPerWord), u.Channel, id, false, string.Join(' ', words[..n]), u.AtMs, n * MsPerWord);
            }
            var duration = words.Length * MsPerWord;
            yield return new Emission(u.AtMs + duration + 200, u.Channel, id, true, u.Text, u.AtMs, duration);
        }
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Scenario))]
internal sealed partial class ScenarioJson : JsonSerializerContext;
