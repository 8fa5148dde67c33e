using System.Text;
using System.Text.Json;
using ComplianceRecorder.Pipeline.Events;

namespace ComplianceRecorder.EventStore.Appending;

/// <summary>
/// Where events go that could not be committed by the stop deadline (PostgreSQL down at stop): JSON
/// lines of the already-redacted events with their source keys, readable by the owner alone, fsync'd
/// before the process exits. The next start appends them before anything else; source keys make a
/// replay of what did commit after all a no-op. A file is deleted only once its events are durable.
/// </summary>
public sealed class SpillFile(string directory)
{
    private const string Suffix = ".jsonl";

    public string Directory => directory;

    /// <summary>Writes the events to a new file (under a temporary name, then renamed, so a reader never sees half a file).</summary>
    public string Write(IReadOnlyList<RecordedEvent> events)
    {
        System.IO.Directory.CreateDirectory(directory);
        var name = $"spill-{DateTimeOffset.UtcNow:yyyyMMddTHHmmssfff}-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var tmp = Path.Combine(directory, name + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new FileStream(tmp, options))
        {
            using (var json = new Utf8JsonWriter(file))
            {
                foreach (var e in events)
                {
                    json.WriteStartObject();
                    json.WriteString("stream", JsonSafeString.Sanitize(e.StreamId));
                    json.WriteString("type", e.Type);
                    json.WriteNumber("schema", e.SchemaVersion);
                    if (e.SourceKey is { } key)
                    {
                        json.WriteString("key", JsonSafeString.Sanitize(key));
                    }
                    json.WritePropertyName("data");
                    json.WriteRawValue(EventJson.Serialize(e), skipInputValidation: true);
                    json.WriteEndObject();
                    json.Flush();
                    json.Reset();
                    file.WriteByte((byte)'\n');
                }
            }
            // the events exist nowhere else once this process ends
            file.Flush(flushToDisk: true);
        }
        var path = Path.Combine(directory, name + Suffix);
        File.Move(tmp, path);
        return path;
    }

    /// <summary>Spill files left by earlier runs, oldest first.</summary>
    public IReadOnlyList<string> Pending() => System.IO.Directory.Exists(directory)
        ? [.. System.IO.Directory.GetFiles(directory, "spill-*" + Suffix).Order(StringComparer.Ordinal)]
        : [];

    /// <summary>A spill file's events, as they were recorded.</summary>
    public static IReadOnlyList<RecordedEvent> Read(string path)
    {
        var events = new List<RecordedEvent>();
        var n = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            n++;
            if (line.Length == 0)
            {
                continue;
            }
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var type = root.GetProperty("type").GetString()!;
            var e = EventJson.Deserialize(type, root.GetProperty("schema").GetInt32(), root.GetProperty("data").GetRawText())
                ?? throw new InvalidDataException($"{path} line {n}: unknown event type '{type}'");
            events.Add(e);
        }
        return events;
    }
}
