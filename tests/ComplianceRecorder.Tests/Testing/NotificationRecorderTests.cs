using System.Reactive.Concurrency;
using System.Reactive.Linq;
using ComplianceRecorder.Testing;
using static ComplianceRecorder.Testing.ReactiveTest;

namespace ComplianceRecorder.Tests.Testing;

public sealed class NotificationRecorderTests
{
    private static readonly DateTimeOffset Origin = PipelineRun.DefaultOrigin;

    [Fact]
    public void Each_notification_is_recorded_at_the_virtual_time_it_came()
    {
        var scheduler = new HistoricalScheduler(Origin);
        var recorder = Observable.Timer(TimeSpan.FromMilliseconds(230), TimeSpan.FromMilliseconds(100), scheduler).Take(3).Record(scheduler, Origin);

        scheduler.AdvanceTo(Origin.AddMilliseconds(429));
        recorder.Messages.AssertEqual(OnNext(230, 0L), OnNext(330, 1L));
        Assert.False(recorder.Ended.IsCompleted);

        scheduler.Start();
        recorder.Messages.AssertEqual(OnNext(230, 0L), OnNext(330, 1L), OnNext(430, 2L), OnCompleted<long>(430));
        Assert.True(recorder.Ended.IsCompleted);
    }

    [Fact]
    public void An_error_is_recorded_as_a_notification_at_its_time()
    {
        var scheduler = new HistoricalScheduler(Origin);
        var boom = new TimeoutException("no answer");
        var recorder = Observable.Throw<int>(boom).DelaySubscription(TimeSpan.FromMilliseconds(50), scheduler).Record(scheduler, Origin);

        scheduler.Start();

        recorder.Messages.AssertEqual(OnError<int>(50, boom));
        Assert.True(recorder.Ended.IsCompleted);
    }

    [Fact]
    public void Recorded_notifications_are_equal_by_time_and_value()
    {
        Assert.Equal(OnNext(230, "card"), OnNext(230, "card"));
        Assert.NotEqual(OnNext(230, "card"), OnNext(231, "card"));
        Assert.NotEqual(OnNext(230, "card"), OnNext(230, "cart"));
        Assert.NotEqual(OnCompleted<string>(230), OnNext(230, "card"));
    }
}
