using System.Reactive.Linq;

namespace ComplianceRecorder.ReadSide;

/// <summary>
/// One consumer's captions. It never slows ingestion: partials coalesce (only an utterance's latest
/// waits to be sent) and finals queue up to a bound; the caption that would pass it cuts the consumer
/// off, and reconnecting with Last-Event-ID gets every final it missed from the store.
/// </summary>
public sealed class CaptionFeed : IDisposable
{
    /// <summary>Finals (and gaps) that may wait for one consumer before it is cut off.</summary>
    public const int MaxQueuedFinals = 5_000;

    // one lock for the queue, the partials and the end: OnNext runs on the recorder's thread, the
    // reader on a request's, Dispose on either, and none of them may see the others half done
    private readonly Lock _gate = new();
    private readonly Queue<Caption> _finals = new();
    private readonly Dictionary<string, Caption> _partials = new(StringComparer.Ordinal);
    private readonly IDisposable _subscription;
    private TaskCompletionSource? _waiting;
    private bool _ended;

    public CaptionFeed(IObservable<Caption> live, string? call)
    {
        _subscription = live.Where(c => call is null || c.ConversationId == call)
            .Subscribe(OnCaption, _ => End(), End);
    }

    /// <summary>True once the consumer fell so far behind that it was cut off.</summary>
    public bool Overrun { get; private set; }

    private void OnCaption(Caption c)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }
            if (c.IsFinal || c.Kind != "segment")
            {
                _partials.Remove(c.UtteranceId);
                if (_finals.Count == MaxQueuedFinals)
                {
                    // bounded here, at enqueue: a reader just a little slower than ingestion never
                    // empties the queue, so a check made only between drains would never run
                    Overrun = true;
                    EndLocked();
                }
                else
                {
                    _finals.Enqueue(c);
                }
            }
            else
            {
                _partials[c.UtteranceId] = c;
            }
            wake = _waiting;
            _waiting = null;
        }
        wake?.TrySetResult();
    }

    /// <summary>Live captions in order of arrival, finals first when both wait; ends when the consumer is cut off or the feed disposed.</summary>
    public async IAsyncEnumerable<Caption> LiveAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        while (true)
        {
            Caption? next = null;
            Task? wait = null;
            bool ended;
            lock (_gate)
            {
                ended = _ended;
                if (!ended && !TryTakeLocked(out next))
                {
                    _waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _waiting.Task;
                }
            }
            if (ended)
            {
                yield break;
            }
            if (next is not null)
            {
                yield return next;
            }
            else
            {
                await wait!.WaitAsync(ct).ConfigureAwait(false);
            }
        }
    }

    private bool TryTakeLocked(out Caption? next)
    {
        if (_finals.TryDequeue(out next))
        {
            return true;
        }
        foreach (var (utterance, partial) in _partials)
        {
            _partials.Remove(utterance);
            next = partial;
            return true;
        }
        return false;
    }

    private void End()
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            EndLocked();
            wake = _waiting;
            _waiting = null;
        }
        wake?.TrySetResult();
    }

    private void EndLocked()
    {
        _ended = true;
        _finals.Clear();
        _partials.Clear();
    }

    /// <summary>Safe while captions arrive on another thread: one that is in flight finds the feed ended and is dropped.</summary>
    public void Dispose()
    {
        End();
        _subscription.Dispose();
    }
}
