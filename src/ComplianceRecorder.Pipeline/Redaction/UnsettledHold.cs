using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using ComplianceRecorder.Pipeline.Events;

namespace ComplianceRecorder.Pipeline.Redaction;

public static class UnsettledHold
{
    /// <summary>
    /// Right the first time in the store: a final segment ending in a number the speaker may go on with
    /// is held until that channel's next final or <paramref name="hold"/> on the scheduler, whichever
    /// first; if the next final completes a card, the held segment goes out redacted again. Everything
    /// else passes straight through, never delayed.
    /// </summary>
    public static IObservable<RecordedEvent> HoldUnsettled(this IObservable<Redacted> source, TimeSpan hold, IScheduler scheduler) =>
        Observable.Create<RecordedEvent>(observer =>
        {
            var gate = new object();
            var held = new Dictionary<string, (SegmentRecorded Segment, IDisposable Timer)>(StringComparer.Ordinal);

            void Release(string channel, SegmentRecorded? replacement)
            {
                if (held.Remove(channel, out var h))
                {
                    h.Timer.Dispose();
                    observer.OnNext(replacement ?? h.Segment);
                }
            }

            var subscription = source.Subscribe(
                r =>
                {
                    lock (gate)
                    {
                        if (r.Event is not SegmentRecorded { IsFinal: true } s)
                        {
                            observer.OnNext(r.Event);
                            return;
                        }
                        if (held.TryGetValue(s.Channel, out var previous))
                        {
                            Release(s.Channel, r.CorrectsPrevious is { } c ? TranscriptPipeline.WithRedaction(previous.Segment, c) : null);
                        }
                        if (!r.Unsettled)
                        {
                            observer.OnNext(s);
                            return;
                        }
                        var timer = scheduler.Schedule(hold, () =>
                        {
                            lock (gate)
                            {
                                if (held.TryGetValue(s.Channel, out var h) && ReferenceEquals(h.Segment, s))
                                {
                                    Release(s.Channel, null);
                                }
                            }
                        });
                        held[s.Channel] = (s, timer);
                    }
                },
                e =>
                {
                    lock (gate)
                    {
                        observer.OnError(e);
                    }
                },
                () =>
                {
                    lock (gate)
                    {
                        foreach (var channel in held.Keys.ToArray())
                        {
                            Release(channel, null);
                        }
                        observer.OnCompleted();
                    }
                });
            return new CompositeDisposable(subscription, Disposable.Create(() =>
            {
                lock (gate)
                {
                    foreach (var h in held.Values)
                    {
                        h.Timer.Dispose();
                    }
                }
            }));
        });
}
