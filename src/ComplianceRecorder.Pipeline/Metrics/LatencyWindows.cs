using System.Reactive.Concurrency;
using System.Reactive.Linq;
using ComplianceRecorder.Pipeline.Events;

namespace ComplianceRecorder.Pipeline.Metrics;

/// <summary>
/// Windowed latency and throughput. Buffer ticks on the injected scheduler; each segment is counted in
/// the window of its own receive time (event time), so a replay puts it in the same window. A window is
/// closed one window after it ends, by when its late commits have come in, overall and for each call.
/// </summary>
public static class LatencyWindows
{
    private sealed class Bucket
    {
        public readonly List<double> Latencies = [];
        public int Tokens;
        public int Gaps;
        public double? MinSourceLag;
    }

    public static IObservable<MetricsWindowClosed> Windows(this IObservable<Durable> source, TimeSpan window, IScheduler scheduler) =>
        Observable.Create<MetricsWindowClosed>(observer =>
        {
            var open = new SortedDictionary<(long Start, string Scope), Bucket>();
            return source
                .Buffer(window, scheduler)
                .Subscribe(
                    batch =>
                    {
                        foreach (var d in batch)
                        {
                            Add(open, d, window);
                        }
                        var closeBefore = scheduler.Now - window;
                        foreach (var closed in Close(open, window, closeBefore))
                        {
                            observer.OnNext(closed);
                        }
                    },
                    observer.OnError,
                    () =>
                    {
                        foreach (var closed in Close(open, window, DateTimeOffset.MaxValue))
                        {
                            observer.OnNext(closed);
                        }
                        observer.OnCompleted();
                    });
        });

    private static void Add(SortedDictionary<(long, string), Bucket> open, Durable d, TimeSpan window)
    {
        var (call, at) = d.Event switch
        {
            SegmentRecorded s => (s.ConversationId, s.ReceivedAt),
            CoverageGapRecorded g => (g.ConversationId, g.To),
            _ => ((string?)null, default),
        };
        if (call is null)
        {
            return;
        }
        var start = at.UtcTicks - (at.UtcTicks % window.Ticks);
        Count(open, (start, "all"), d);
        Count(open, (start, call), d);
    }

    private static void Count(SortedDictionary<(long, string), Bucket> open, (long, string) key, Durable d)
    {
        if (!open.TryGetValue(key, out var b))
        {
            open[key] = b = new Bucket();
        }
        if (d.Event is SegmentRecorded s)
        {
            b.Latencies.Add((d.DurableAt - s.ReceivedAt).TotalMilliseconds);
            b.Tokens += s.Tokens;
            if (s.LatencyMs is { } lag && (b.MinSourceLag is null || lag < b.MinSourceLag))
            {
                b.MinSourceLag = lag;
            }
        }
        else
        {
            b.Gaps++;
        }
    }

    private static List<MetricsWindowClosed> Close(SortedDictionary<(long Start, string Scope), Bucket> open, TimeSpan window, DateTimeOffset closeBefore)
    {
        var closed = new List<MetricsWindowClosed>();
        foreach (var ((start, scope), b) in open)
        {
            var from = new DateTimeOffset(start, TimeSpan.Zero);
            if (from + window > closeBefore)
            {
                break;
            }
            closed.Add(Summarize(scope, from, window, b));
        }
        foreach (var c in closed)
        {
            open.Remove((c.WindowStart.UtcTicks, c.Scope));
        }
        return closed;
    }

    private static MetricsWindowClosed Summarize(string scope, DateTimeOffset from, TimeSpan window, Bucket b)
    {
        var sorted = b.Latencies.ToArray();
        Array.Sort(sorted);
        return new MetricsWindowClosed(scope, from, from + window, sorted.Length, b.Tokens,
            Percentile(sorted, 0.50), Percentile(sorted, 0.95), Percentile(sorted, 0.99), sorted.Length == 0 ? 0 : sorted[^1], b.Gaps, b.MinSourceLag);
    }

    /// <summary>Nearest rank: the smallest value with at least p of the values at or below it.</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
