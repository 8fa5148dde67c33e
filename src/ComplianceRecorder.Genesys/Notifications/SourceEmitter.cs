using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Genesys.Notifications;

/// <summary>
/// One event at a time into the pipeline, from every channel's reader. The wait is asynchronous:
/// while the pipeline holds a reader back (the commit queue is full), the other readers wait
/// without blocking threads, so the committer that would free the queue still gets one.
/// </summary>
internal sealed class SourceEmitter(IObserver<SourceEvent> observer)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async ValueTask NextAsync(SourceEvent e, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            observer.OnNext(e);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task EndAsync(Exception? error)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        if (error is null)
        {
            observer.OnCompleted();
        }
        else
        {
            observer.OnError(error);
        }
    }
}
