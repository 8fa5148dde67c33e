using System.Globalization;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Text;

namespace ComplianceRecorder.Testing;

/// <summary>Recording an observable in virtual time, narrowing what was recorded, and asserting it.</summary>
public static class RecordedNotifications
{
    /// <summary>Subscribes a recorder that stamps each notification with the scheduler's time, in ms from <paramref name="origin"/>.</summary>
    public static NotificationRecorder<T> Record<T>(this IObservable<T> source, IScheduler scheduler, DateTimeOffset origin)
    {
        var recorder = new NotificationRecorder<T>(scheduler, origin);
        source.Subscribe(recorder);
        return recorder;
    }

    /// <summary>
    /// Only the OnNext values of type <typeparamref name="TEvent"/>, each mapped by <paramref name="select"/>
    /// and kept at its time; OnCompleted and OnError stay where they were.
    /// <c>run.Messages.Of((SegmentRecorded s) => s.Text)</c>.
    /// </summary>
    public static IReadOnlyList<Recorded<Notification<TResult>>> Of<T, TEvent, TResult>(
        this IEnumerable<Recorded<Notification<T>>> messages, Func<TEvent, TResult> select) where TEvent : T
    {
        ArgumentNullException.ThrowIfNull(select);
        var result = new List<Recorded<Notification<TResult>>>();
        foreach (var m in messages)
        {
            switch (m.Value.Kind)
            {
                case NotificationKind.OnNext when m.Value.Value is TEvent e:
                    result.Add(new(m.Time, Notification.CreateOnNext(select(e))));
                    break;
                case NotificationKind.OnError:
                    result.Add(new(m.Time, Notification.CreateOnError<TResult>(m.Value.Exception!)));
                    break;
                case NotificationKind.OnCompleted:
                    result.Add(new(m.Time, Notification.CreateOnCompleted<TResult>()));
                    break;
            }
        }
        return result;
    }

    /// <summary>The values of the OnNext notifications, without their times.</summary>
    public static IReadOnlyList<T> Values<T>(this IEnumerable<Recorded<Notification<T>>> messages) =>
        [.. messages.Where(m => m.Value.Kind == NotificationKind.OnNext).Select(m => m.Value.Value)];

    /// <summary>
    /// Throws <see cref="RecordedMismatchException"/> unless <paramref name="actual"/> is exactly
    /// <paramref name="expected"/>: the same notifications at the same times, in the same order.
    /// The message is a diff, each line spelled as the test would write it.
    /// </summary>
    public static void AssertEqual<T>(this IEnumerable<Recorded<Notification<T>>> actual, params Recorded<Notification<T>>[] expected)
    {
        var recorded = actual.ToList();
        if (recorded.SequenceEqual(expected))
        {
            return;
        }
        throw new RecordedMismatchException(Diff(expected, recorded));
    }

    /// <summary>A notification as a test writes it: <c>OnNext(230, "x")</c>, <c>OnCompleted(500)</c>.</summary>
    public static string Format<T>(Recorded<Notification<T>> m) => m.Value.Kind switch
    {
        NotificationKind.OnNext => $"OnNext({m.Time}, {FormatValue(m.Value.Value)})",
        NotificationKind.OnError => $"OnError({m.Time}, {m.Value.Exception!.GetType().Name}: {m.Value.Exception.Message})",
        _ => $"OnCompleted({m.Time})",
    };

    private static string FormatValue(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal) + "\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>A unified diff over the longest common subsequence: "  " both, "- " expected only, "+ " recorded only.</summary>
    private static string Diff<T>(IReadOnlyList<Recorded<Notification<T>>> expected, IReadOnlyList<Recorded<Notification<T>>> actual)
    {
        var common = new int[expected.Count + 1, actual.Count + 1];
        for (var i = expected.Count - 1; i >= 0; i--)
        {
            for (var j = actual.Count - 1; j >= 0; j--)
            {
                common[i, j] = expected[i].Equals(actual[j]) ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
            }
        }
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"Recorded notifications differ from those expected ({expected.Count} expected, {actual.Count} recorded; - expected only, + recorded only):")
            .AppendLine();
        int e = 0, a = 0;
        while (e < expected.Count || a < actual.Count)
        {
            if (e < expected.Count && a < actual.Count && expected[e].Equals(actual[a]))
            {
                text.Append("    ").AppendLine(Format(expected[e++]));
                a++;
            }
            else if (e < expected.Count && (a == actual.Count || common[e + 1, a] >= common[e, a + 1]))
            {
                text.Append("  - ").AppendLine(Format(expected[e++]));
            }
            else
            {
                text.Append("  + ").AppendLine(Format(actual[a++]));
            }
        }
        return text.ToString();
    }
}
