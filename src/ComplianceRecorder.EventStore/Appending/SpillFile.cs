using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ComplianceRecorder.Pipeline.Events;

namespace ComplianceRecorder.EventStore.Appending;

/// <summary>
/// Where events go that could not be committed by the stop deadline (PostgreSQL down at stop): JSON
/// lines of the already-redacted events with their source keys, readable by the owner alone, fsync'd
/// before the process exits. The next start appends them before anything else; source keys make a
/// replay of what did commit after all a no-op. A file is deleted only once its events are durable.
/// A spill directory belongs to one recorder: files in it at start are from its earlier runs.
/// </summary>
public sealed partial class SpillFile(string directory)
{
    private const string Suffix = ".jsonl";
    private const string Unfinished = ".tmp";

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
        // the rename is an entry of the directory: until the directory is synced, a power cut can undo it
        SyncDirectory(directory);
        return path;
    }

    /// <summary>
    /// Spill files left by earlier runs, oldest first, with those whose write was cut (a kill while
    /// spilling): their whole lines are events like any other, and only a torn last line is unreadable.
    /// </summary>
    public IReadOnlyList<string> Pending() => System.IO.Directory.Exists(directory)
        ? [.. System.IO.Directory.GetFiles(directory, "spill-*")
            .Where(f => f.EndsWith(Suffix, StringComparison.Ordinal) || f.EndsWith(Unfinished, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)]
        : [];

    /// <summary>
    /// A spill file's events, as they were recorded, and the lines that could not be read (a torn write,
    /// a damaged disk): those are named by number and reason, and the readable rest is not held back by them.
    /// </summary>
    public static SpillContents Read(string path)
    {
        var events = new List<RecordedEvent>();
        var unreadable = new List<UnreadableLine>();
        var n = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            n++;
            if (line.Length == 0)
            {
                continue;
            }
            if (ReadLine(line, out var reason) is { } e)
            {
                events.Add(e);
            }
            else
            {
                unreadable.Add(new UnreadableLine(n, reason));
            }
        }
        return new SpillContents(events, unreadable);
    }

    /// <summary>Moves a file with unreadable lines aside, kept for whoever investigates and never replayed again.</summary>
    public static string SetAside(string path)
    {
        var aside = Path.ChangeExtension(path, ".unreadable");
        File.Move(path, aside, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return aside;
    }

    private static RecordedEvent? ReadLine(string line, out string reason)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var type = root.GetProperty("type").GetString() ?? "";
            if (EventJson.Deserialize(type, root.GetProperty("schema").GetInt32(), root.GetProperty("data").GetRawText()) is { } e)
            {
                reason = "";
                return e;
            }
            reason = $"unknown event type '{JsonSafeString.Sanitize(type[..Math.Min(type.Length, 64)])}'";
        }
        catch (JsonException e)
        {
            // the message names a position, never the line's content
            reason = $"not a whole JSON event (byte {e.BytePositionInLine ?? 0}): the write was cut or the file damaged";
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or NotSupportedException)
        {
            reason = $"not an event as spilled: {e.GetType().Name}";
        }
        return null;
    }

    private static void SyncDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        // .NET opens no directory as a file, so the descriptor comes from libc
        var fd = Open(path, 0);
        if (fd < 0)
        {
            throw new IOException($"the spill directory {path} could not be opened to sync it (errno {Marshal.GetLastPInvokeError()})");
        }
        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"the spill directory {path} could not be synced (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}

/// <summary>What a spill file holds: its readable events, and each line that is not one.</summary>
public sealed record SpillContents(IReadOnlyList<RecordedEvent> Events, IReadOnlyList<UnreadableLine> Unreadable);

/// <summary>A spill file's line that holds no readable event, by number (from 1) and why.</summary>
public readonly record struct UnreadableLine(int Line, string Reason);
