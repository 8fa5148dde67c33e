using System.Text.Json;
using System.Text.Json.Nodes;
using ComplianceRecorder.Pipeline.Redaction;

namespace ComplianceRecorder.Verbs;

/// <summary>
/// <c>redact</c>: JSON lines in, JSON lines out, one for one and in order (../shared/eval/README.md).
/// Utterances of one conversation share a <see cref="RedactionSession"/>, as they do live.
/// </summary>
internal static class RedactVerb
{
    public static async Task<int> RunAsync(TextReader input, TextWriter output)
    {
        var sessions = new Dictionary<string, RedactionSession>(StringComparer.Ordinal);
        var lineNumber = 0;
        while (await input.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            await output.WriteLineAsync(RedactLine(line, lineNumber, sessions)).ConfigureAwait(false);
        }
        await output.FlushAsync().ConfigureAwait(false);
        return 0;
    }

    internal static string RedactLine(string line, int lineNumber, Dictionary<string, RedactionSession> sessions)
    {
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(line) as JsonObject ?? throw new FormatException("a line must be a JSON object");
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return Error(lineNumber, e.Message);
        }
        if (obj["text"] is not JsonValue textNode || !textNode.TryGetValue<string>(out var text))
        {
            return Error(lineNumber, "field 'text' is missing or not a string");
        }
        var conversation = obj["conversationId"] is JsonValue c && c.TryGetValue<string>(out var id) ? id : "";
        var channel = obj["channel"] is JsonValue ch && ch.TryGetValue<string>(out var chan) ? chan : "EXTERNAL";
        var isFinal = obj["isFinal"] is not JsonValue f || !f.TryGetValue<bool>(out var fin) || fin;

        if (!sessions.TryGetValue(conversation, out var session))
        {
            sessions[conversation] = session = new RedactionSession();
        }
        var speaker = string.Equals(channel, "INTERNAL", StringComparison.OrdinalIgnoreCase) ? Speaker.Agent : Speaker.Customer;
        var result = session.Redact(text, speaker, isFinal);

        obj["redacted"] = result.Text;
        var entities = new JsonArray();
        foreach (var e in result.Entities)
        {
            entities.Add(new JsonObject { ["type"] = e.Type.Name(), ["start"] = e.Start, ["end"] = e.End });
        }
        obj["entities"] = entities;
        return obj.ToJsonString();
    }

    private static string Error(int lineNumber, string reason) =>
        new JsonObject { ["line"] = lineNumber, ["error"] = $"line {lineNumber}: {reason}" }.ToJsonString();
}
