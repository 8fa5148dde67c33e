using System.Threading.Channels;
using ComplianceRecorder.Pipeline.Events;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.EventStore.Appending;

/// <summary>
/// Many calls' events share one transaction. Callers hand in an event and learn it is recorded only
/// when its batch has committed. While PostgreSQL is slow or down, batches are retried with backoff
/// and never dropped; the bounded queue then fills and <see cref="AppendAsync"/> waits, which pushes
/// back on the pipeline and from there on the socket reader, so memory stays bounded and nothing
/// accepted is lost.
/// </summary>
public sealed class GroupCommitter : IAsyncDisposable
{
    private readonly record struct Item(RecordedEvent Event, TaskCompletionSource<Appended> Done);

    private readonly EventStore _store;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly int _maxBatch;
    private readonly Channel<Item> _queue;
    private readonly Task _loop;
    private int _backlog;
    private int _failing;

    public GroupCommitter(EventStore store, ILogger log, TimeProvider time, int capacity = 10_000, int maxBatch = 500)
    {
        _store = store;
        _log = log;
        _time = time;
        _maxBatch = maxBatch;
        Capacity = capacity;
        _queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>How many events may wait before the pipeline's append blocks the socket reader.</summary>
    public int Capacity { get; }

    /// <summary>Events waiting for their commit.</summary>
    public int Backlog => Volatile.Read(ref _backlog);

    /// <summary>True while the last commit attempt failed (PostgreSQL unreachable or refusing).</summary>
    public bool Failing => Volatile.Read(ref _failing) != 0;

    /// <summary>
    /// Queues an event and returns when it is queued, not when it is durable: the task says that.
    /// While the queue is full this blocks the calling thread — on purpose: called from the pipeline,
    /// it stops the socket reader, so a slow database slows reading instead of growing memory.
    /// </summary>
    public Task<Appended> Enqueue(RecordedEvent e)
    {
        var queued = EnqueueAsync(e);
        return queued.IsCompleted ? queued.Result : queued.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>As <see cref="Enqueue"/>, but waits for room without holding a thread.</summary>
    public ValueTask<Task<Appended>> EnqueueAsync(RecordedEvent e, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource<Appended>(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Increment(ref _backlog);
        var item = new Item(e, done);
        return _queue.Writer.TryWrite(item) ? ValueTask.FromResult(done.Task) : WaitForRoomAsync(item, ct);
    }

    private async ValueTask<Task<Appended>> WaitForRoomAsync(Item item, CancellationToken ct)
    {
        try
        {
            await _queue.Writer.WriteAsync(item, ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            // the recorder is stopping and gave up draining: the event's task says it was not recorded
            Interlocked.Decrement(ref _backlog);
            item.Done.TrySetException(new InvalidOperationException("the committer is closed: the recorder stopped before this event could be queued", e));
        }
        return item.Done.Task;
    }

    private async Task LoopAsync()
    {
        var batch = new List<Item>(_maxBatch);
        var pending = new List<PendingEvent>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // natural group commit: whatever queued while the previous batch committed goes in this one
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
                pending.Add(new PendingEvent(item.Event));
            }
            var delay = TimeSpan.FromMilliseconds(50);
            while (true)
            {
                try
                {
                    var appended = await _store.AppendAsync(pending).ConfigureAwait(false);
                    Volatile.Write(ref _failing, 0);
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].Done.TrySetResult(appended[i]);
                    }
                    break;
                }
                catch (Exception e) when (e is not ConcurrencyException)
                {
                    Volatile.Write(ref _failing, 1);
                    _log.LogWarning("Append of {Count} events failed, retrying in {Delay} ms: {Error}", batch.Count, delay.TotalMilliseconds, e.Message);
                    await Task.Delay(delay, _time).ConfigureAwait(false);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2_000));
                }
                catch (ConcurrencyException e)
                {
                    foreach (var item in batch)
                    {
                        item.Done.TrySetException(e);
                    }
                    break;
                }
            }
            Interlocked.Add(ref _backlog, -batch.Count);
            batch.Clear();
            pending.Clear();
        }
    }

    /// <summary>Stops taking events and waits until every accepted one is committed.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }
}
