using System.Reactive.Concurrency;
using System.Reactive.Subjects;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Metrics;
using ComplianceRecorder.Tests.EventStore;

namespace ComplianceRecorder.Tests.Metrics;

public sealed class LatencyWindowsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private static Durable At(string call, double receivedSeconds, double latencyMs) =>
        new(EventStoreTests.Segment(call, Guid.NewGuid().ToString(), 1, true) with { ReceivedAt = T0.AddSeconds(receivedSeconds), Tokens = 2 },
            1, T0.AddSeconds(receivedSeconds).AddMilliseconds(latencyMs));

    [Fact]
    public void Segments_fall_in_the_window_of_their_receive_time_and_close_one_window_later()
    {
        var scheduler = new HistoricalScheduler(T0);
        var source = new Subject<Durable>();
        var windows = new List<MetricsWindowClosed>();
        using var _ = source.Windows(TimeSpan.FromSeconds(10), scheduler).Subscribe(windows.Add);

        scheduler.AdvanceTo(T0.AddSeconds(9));
        source.OnNext(At("a", 9.9, 5));
        scheduler.AdvanceTo(T0.AddSeconds(11));
        // committed after the boundary, but received before it: it belongs to the first window
        source.OnNext(At("a", 9.95, 1200));
        source.OnNext(At("b", 10.5, 7));
        scheduler.AdvanceTo(T0.AddSeconds(19.9));
        Assert.Empty(windows);

        scheduler.AdvanceTo(T0.AddSeconds(20));

        var all = Assert.Single(windows, w => w.Scope == "all");
        Assert.Equal((T0, T0.AddSeconds(10), 2, 4), (all.WindowStart, all.WindowEnd, all.Segments, all.Tokens));
        Assert.Equal(1200, all.MaxMs, 3);
        // the segments say their source was 40 ms behind at best: that is skew, reported apart
        Assert.Equal(40, all.SourceSkewMs);
        Assert.Equal(["a", "all"], windows.Select(w => w.Scope).Order());

        scheduler.AdvanceTo(T0.AddSeconds(30));
        Assert.Contains(windows, w => w.Scope == "b" && w.WindowStart == T0.AddSeconds(10));
    }

    [Theory]
    [InlineData(0.50, 50)]
    [InlineData(0.95, 95)]
    [InlineData(0.99, 99)]
    public void Percentiles_are_nearest_rank(double p, double expected)
    {
        var sorted = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();
        Assert.Equal(expected, LatencyWindows.Percentile(sorted, p));
    }

    [Fact]
    public void A_window_of_one_segment_reports_it_at_every_percentile()
    {
        Assert.Equal(7, LatencyWindows.Percentile([7], 0.99));
        Assert.Equal(0, LatencyWindows.Percentile([], 0.5));
    }
}
