using System.Globalization;
using ComplianceRecorder.EventStore;

namespace ComplianceRecorder.Verbs;

/// <summary>
/// A long verb's progress as one line on the terminal, redrawn in place: events done, rate, time left.
/// Redrawn at most every <see cref="Redraw"/>; the last report (done reaches the total) ends the line.
/// </summary>
internal sealed class TerminalProgress(string label, TextWriter writer, TimeProvider time) : IProgress<EventProgress>
{
    public static readonly TimeSpan Redraw = TimeSpan.FromMilliseconds(250);

    // from the first report, not from construction: starting the store or a migration is not part of the rate
    private long? _started;
    private long _drawnAt;
    private int _width;

    /// <summary>On stderr when both streams are a terminal; null (nothing shown) when either is redirected, so logs and pipes get only results.</summary>
    public static TerminalProgress? ForConsole(string label) =>
        Console.IsOutputRedirected || Console.IsErrorRedirected ? null : new TerminalProgress(label, Console.Error, TimeProvider.System);

    public void Report(EventProgress value)
    {
        var now = time.GetTimestamp();
        _started ??= now;
        var finished = value.Done >= value.Total;
        if (!finished && _width > 0 && time.GetElapsedTime(_drawnAt, now) < Redraw)
        {
            return;
        }
        _drawnAt = now;
        var line = Line(label, value, time.GetElapsedTime(_started.Value, now));
        // spaces over what a longer line before left behind
        writer.Write("\r" + line.PadRight(_width));
        _width = line.Length;
        if (finished)
        {
            writer.WriteLine();
        }
        writer.Flush();
    }

    public static string Line(string label, EventProgress p, TimeSpan elapsed)
    {
        var rate = elapsed > TimeSpan.Zero ? p.Done / elapsed.TotalSeconds : 0;
        var left = p.Done >= p.Total ? "done"
            : rate > 0 ? TimeSpan.FromSeconds(Math.Ceiling((p.Total - p.Done) / rate)).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) + " left"
            : "time left unknown";
        return string.Create(CultureInfo.InvariantCulture, $"{label}: {p.Done:N0}/{p.Total:N0} events, {rate:N0}/s, {left}");
    }
}
