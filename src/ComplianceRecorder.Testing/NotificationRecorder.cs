using System.Reactive;
using System.Reactive.Concurrency;

namespace ComplianceRecorder.Testing;

/// <summary>
/// Records every notification with the scheduler's time at that moment, in milliseconds from
/// <paramref name="origin"/>: the observer side of a virtual-time test. Safe to call from other
/// threads (work the pipeline awaits, such as a backfill fetch, completes off the scheduler).
/// </summary>
public sealed class NotificationRecorder<T>(IScheduler scheduler, DateTimeOffset origin) : IObserver<T>
{
    private readonly Lock _gate = new();
    private readonly List<Recorded<Notification<T>>> _messages = [];
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What was recorded so far, in order.</summary>
    public IReadOnlyList<Recorded<Notification<T>>> Messages
    {
        get
        {
            lock (_gate)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>Done when OnCompleted or OnError was recorded (an error is a notification to assert, not a fault here).</summary>
    public Task Ended => _ended.Task;

    /// <inheritdoc/>
    public void OnNext(T value) => Record(Notification.CreateOnNext(value));

    /// <inheritdoc/>
    public void OnError(Exception error)
    {
        Record(Notification.CreateOnError<T>(error));
        _ended.TrySetResult();
    }

    /// <inheritdoc/>
    public void OnCompleted()
    {
        Record(Notification.CreateOnCompleted<T>());
        _ended.TrySetResult();
    }

    private void Record(Notification<T> notification)
    {
        var time = (scheduler.Now - origin).Ticks / TimeSpan.TicksPerMillisecond;
        lock (_gate)
        {
            _messages.Add(new Recorded<Notification<T>>(time, notification));
        }
    }
}
