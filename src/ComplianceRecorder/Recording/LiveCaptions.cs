using System.Reactive.Subjects;
using ComplianceRecorder.ReadSide;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Recording;

/// <summary>
/// Redacted captions of what is durable, for as long as the host runs: the tutorial's
/// registerCaptionConsumer, the .NET way. Resolve it (or <c>IObservable&lt;Caption&gt;</c>) from the
/// services and subscribe, before or after the host starts; it completes when the recording stops.
/// Each subscriber is called on a delivery loop of its own, in the order the captions became durable, so
/// one that is slow or throws never holds back the recording or another subscriber: one that falls
/// <see cref="MaxQueued"/> captions behind is cut off with an error (what it missed is in the store), and
/// one that throws is unsubscribed, and the exception logged. Subscribers must not block: each blocked one
/// holds a thread-pool thread.
/// </summary>
public sealed class LiveCaptions(ILogger<LiveCaptions> log) : IObservable<Caption>, IObserver<Caption>, IDisposable
{
    public const int MaxQueued = 10_000;

    private readonly Subject<Caption> _subject = new();

    public IDisposable Subscribe(IObserver<Caption> observer)
    {
        var delivery = new CaptionDelivery(observer, MaxQueued, log);
        delivery.Attach(_subject.Subscribe(delivery));
        return delivery;
    }

    // two producers (this instance's recorder and other instances' captions read from the store, #15): one at a time
    private readonly Lock _gate = new();

    void IObserver<Caption>.OnNext(Caption value)
    {
        lock (_gate)
        {
            _subject.OnNext(value);
        }
    }

    void IObserver<Caption>.OnError(Exception error)
    {
        lock (_gate)
        {
            _subject.OnError(error);
        }
    }

    void IObserver<Caption>.OnCompleted()
    {
        lock (_gate)
        {
            _subject.OnCompleted();
        }
    }

    public void Dispose() => _subject.Dispose();
}
