using System.Reactive;

namespace ComplianceRecorder.Testing;

/// <summary>
/// The expected side of a timing test, spelled as dotnet/reactive's tests spell it:
/// <c>using static ComplianceRecorder.Testing.ReactiveTest;</c> then <c>OnNext(230, "x")</c>, <c>OnCompleted&lt;string&gt;(500)</c>.
/// Times are milliseconds from the run's start.
/// </summary>
public static class ReactiveTest
{
    /// <summary>An OnNext of <paramref name="value"/> at <paramref name="time"/> ms.</summary>
    public static Recorded<Notification<T>> OnNext<T>(long time, T value) => new(time, Notification.CreateOnNext(value));

    /// <summary>An OnCompleted at <paramref name="time"/> ms.</summary>
    public static Recorded<Notification<T>> OnCompleted<T>(long time) => new(time, Notification.CreateOnCompleted<T>());

    /// <summary>An OnError of this very exception at <paramref name="time"/> ms.</summary>
    public static Recorded<Notification<T>> OnError<T>(long time, Exception error) => new(time, Notification.CreateOnError<T>(error));
}
