using System.Reactive.Subjects;
using ComplianceRecorder.ReadSide;

namespace ComplianceRecorder.Recording;

/// <summary>
/// Redacted captions of what is durable, for as long as the host runs: the tutorial's
/// registerCaptionConsumer, the .NET way. Resolve it (or <c>IObservable&lt;Caption&gt;</c>) from the
/// services and subscribe, before or after the host starts; it completes when the recording stops.
/// A subscriber is called on the recorder's thread, in the order the captions became durable: one that
/// blocks holds captions back from every other subscriber, so hand slow work to a queue of your own.
/// </summary>
public sealed class LiveCaptions : IObservable<Caption>, IObserver<Caption>, IDisposable
{
    private readonly Subject<Caption> _subject = new();

    public IDisposable Subscribe(IObserver<Caption> observer) => _subject.Subscribe(observer);

    void IObserver<Caption>.OnNext(Caption value) => _subject.OnNext(value);

    void IObserver<Caption>.OnError(Exception error) => _subject.OnError(error);

    void IObserver<Caption>.OnCompleted() => _subject.OnCompleted();

    public void Dispose() => _subject.Dispose();
}
