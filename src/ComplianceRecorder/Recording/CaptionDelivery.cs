using System.Reactive;
using System.Threading.Channels;
using ComplianceRecorder.ReadSide;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Recording;

/// <summary>
/// One subscriber's queue and delivery loop. Offering never blocks (the recorder calls it under its lock);
/// the subscriber's own code runs on the loop, where its exceptions are caught.
/// </summary>
internal sealed class CaptionDelivery : IObserver<Caption>, IDisposable
{
    private readonly Channel<Notification<Caption>> _queue;
    private readonly IObserver<Caption> _observer;
    private readonly int _bound;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _cancel = new();
    private IDisposable? _subscription;
    private int _overrun;
    private int _disposed;

    public CaptionDelivery(IObserver<Caption> observer, int bound, ILogger log)
    {
        _observer = observer;
        _bound = bound;
        _log = log;
        _queue = Channel.CreateBounded<Notification<Caption>>(new BoundedChannelOptions(bound + 1) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _ = Task.Run(DeliverAsync);
    }

    /// <summary>The subscription feeding this delivery, let go when the subscriber is disposed or fails.</summary>
    public void Attach(IDisposable subscription)
    {
        Interlocked.Exchange(ref _subscription, subscription);
        if (Volatile.Read(ref _disposed) != 0)
        {
            subscription.Dispose();
        }
    }

    public void OnNext(Caption value)
    {
        // one place is kept for the end, so the cut-off can always be said
        if (_queue.Reader.Count >= _bound && Interlocked.Exchange(ref _overrun, 1) == 0)
        {
            _queue.Writer.TryWrite(Notification.CreateOnError<Caption>(new CaptionsOverrunException(_bound)));
            _queue.Writer.TryComplete();
            return;
        }
        _queue.Writer.TryWrite(Notification.CreateOnNext(value));
    }

    public void OnError(Exception error)
    {
        _queue.Writer.TryWrite(Notification.CreateOnError<Caption>(error));
        _queue.Writer.TryComplete();
    }

    public void OnCompleted()
    {
        _queue.Writer.TryWrite(Notification.CreateOnCompleted<Caption>());
        _queue.Writer.TryComplete();
    }

    private async Task DeliverAsync()
    {
        try
        {
            await foreach (var notification in _queue.Reader.ReadAllAsync(_cancel.Token).ConfigureAwait(false))
            {
                notification.Accept(_observer);
            }
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // the subscriber's own code threw: it is unsubscribed, what it had queued let go, and nobody else notices
            RecorderLog.SubscriberFailed(_log, e);
        }
        // ended (completed, cut off for falling behind, failed, or disposed): it hears nothing more
        Dispose();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Interlocked.Exchange(ref _subscription, null)?.Dispose();
        _queue.Writer.TryComplete();
        _cancel.Cancel();
        while (_queue.Reader.TryRead(out _))
        {
        }
    }
}
