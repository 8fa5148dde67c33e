using System.Text.Json;
using System.Text.Json.Nodes;
using ComplianceRecorder.Pipeline.Redaction;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Verbs;

/// <summary>
/// <c>redact</c>: JSON lines in, JSON lines out, one for one and in order (../shared/eval/README.md).
/// Utterances of one conversation share a <see cref="RedactionSession"/>, as they do live. A final that
/// ends in a number the speaker may go on with is held until that speaker's next final (or the end of
/// input), as the live recorder holds it, so a card read in two breaths is written redacted both times.
/// </summary>
internal static class RedactVerb
{
    private sealed class Line(string? text, JsonObject? obj)
    {
        public string? Text { get; set; } = text;
        public JsonObject? Obj { get; } = obj;
        public bool Held { get; set; }
    }

    /// <summary>Recorder:KeepAgentNames and Recorder:KeepCardLastFour, as the live pipeline reads them; a value not true or false names its key.</summary>
    public static RedactionOptions Options(IConfiguration config) => new()
    {
        KeepAgentNames = Flag(config, "Recorder:KeepAgentNames"),
        KeepCardLastFour = Flag(config, "Recorder:KeepCardLastFour"),
    };

    private static bool Flag(IConfiguration config, string key) =>
        config[key] is not { Length: > 0 } value ? false
        : bool.TryParse(value, out var flag) ? flag
        : throw new SettingsException($"{key} = '{value}' is not true or false");

    public static async Task<int> RunAsync(TextReader input, TextWriter output, RedactionOptions? options = null)
    {
        options ??= new RedactionOptions();
        var sessions = new Dictionary<string, RedactionSession>(StringComparer.Ordinal);
        var held = new Dictionary<(string, Speaker), Line>();
        var queue = new Queue<Line>();
        var lineNumber = 0;
        while (await input.ReadLineAsync().ConfigureAwait(false) is { } raw)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(raw))
            {
                continue;
            }
            queue.Enqueue(Redact(raw, lineNumber, sessions, held, options));
            while (queue.TryPeek(out var head) && !head.Held)
            {
                await output.WriteLineAsync(queue.Dequeue().Text).ConfigureAwait(false);
            }
        }
        foreach (var line in queue)
        {
            await output.WriteLineAsync(line.Text ?? line.Obj!.ToJsonString()).ConfigureAwait(false);
        }
        await output.FlushAsync().ConfigureAwait(false);
        return 0;
    }

    private static Line Redact(string raw, int lineNumber, Dictionary<string, RedactionSession> sessions, Dictionary<(string, Speaker), Line> held,
        RedactionOptions options)
    {
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(raw) as JsonObject ?? throw new FormatException("a line must be a JSON object");
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return new Line(Error(lineNumber, e.Message), null);
        }
        if (obj["text"] is not JsonValue textNode || !textNode.TryGetValue<string>(out var text))
        {
            return new Line(Error(lineNumber, "field 'text' is missing or not a string"), null);
        }
        var conversation = obj["conversationId"] is JsonValue c && c.TryGetValue<string>(out var id) ? id : "";
        var channel = obj["channel"] is JsonValue ch && ch.TryGetValue<string>(out var chan) ? chan : "EXTERNAL";
        var isFinal = obj["isFinal"] is not JsonValue f || !f.TryGetValue<bool>(out var fin) || fin;
        var speaker = string.Equals(channel, "INTERNAL", StringComparison.OrdinalIgnoreCase) ? Speaker.Agent : Speaker.Customer;

        if (!sessions.TryGetValue(conversation, out var session))
        {
            sessions[conversation] = session = new RedactionSession(options);
        }
        var result = session.Redact(text, speaker, isFinal);
        var line = new Line(null, obj);
        Fill(line, result);

        if (isFinal)
        {
            var key = (conversation, speaker);
            if (held.Remove(key, out var previous))
            {
                if (result.CorrectsPrevious is { } corrected)
                {
                    Fill(previous, corrected);
                }
                previous.Held = false;
            }
            if (result.Unsettled)
            {
                line.Held = true;
                held[key] = line;
            }
        }
        return line;
    }

    private static void Fill(Line line, RedactionResult result)
    {
        var obj = line.Obj!;
        obj["redacted"] = result.Text;
        var entities = new JsonArray();
        foreach (var e in result.Entities)
        {
            entities.Add(new JsonObject { ["type"] = e.Type.Name(), ["start"] = e.Start, ["end"] = e.End });
        }
        obj["entities"] = entities;
        line.Text = obj.ToJsonString();
    }

    private static string Error(int lineNumber, string reason) =>
        new JsonObject { ["line"] = lineNumber, ["error"] = $"line {lineNumber}: {reason}" }.ToJsonString();
}
