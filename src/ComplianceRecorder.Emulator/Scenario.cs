using System.Text.Json;

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
