using System.Threading.Channels;
using ComplianceRecorder.Pipeline.Events;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.EventStore.Appending;

/// <summary>
/// Many calls' events share one transaction. Callers hand in an event and learn it is recorded only
/// when its batch has committed. Errors are classified (<see cref="AppendErrors"/>): while PostgreSQL
/// is unreachable, batches are retried with backoff and never dropped; the bounded queue then fills and
/// <see cref="AppendAsync"/> waits, which pushes back on the pipeline and from there on the socket
/// reader, so memory stays bounded and nothing accepted is lost. A batch refused for its content is
/// split until the refused events are found; the others are appended and each refused one is recorded
/// as an <see cref="EventRefused"/> in its place, so one poison event never stalls the rest.
/// With several connections, each stream belongs to one of them (by its id's hash), so a stream's events
/// still commit in the order they were queued while other streams' batches commit beside them; the append
/// function locks a batch's stream rows in id order, so two connections' batches cannot deadlock.
/// </summary>
public sealed class GroupCommitter : IAsyncDisposable
{
    private readonly record struct Item(RecordedEvent Event, TaskCompletionSource<Appended> Done);

    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LastDelay = TimeSpan.FromSeconds(2);

    private readonly EventStore _store;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly SpillFile? _spill;
    private readonly int _maxBatch;
    private readonly Channel<Item>[] _queues;
    private readonly CancellationTokenSource _giveUp = new();
    private readonly Task[] _loops;
    private readonly List<Item> _unrecorded = [];
    private int _backlog;
    private int _failing;
    private int _spilled;

    /// <param name="connections">Batches committed at once, each on its own connection, streams partitioned across them.</param>
    public GroupCommitter(EventStore store, ILogger log, TimeProvider time, int capacity = 10_000, int maxBatch = 500, SpillFile? spill = null, int connections = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(connections, 1);
        _store = store;
        _log = log;
        _time = time;
        _spill = spill;
        _maxBatch = maxBatch;
        Capacity = capacity;
        var options = new BoundedChannelOptions(Math.Max(1, capacity / connections)) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait };
        _queues = new Channel<Item>[connections];
        _loops = new Task[connections];
        for (var i = 0; i < connections; i++)
        {
            var queue = _queues[i] = Channel.CreateBounded<Item>(options);
            _loops[i] = Task.Run(() => LoopAsync(queue));
        }
    }

    /// <summary>The queue of the connection that owns this stream: always the same one, which keeps the stream's order.</summary>
    private Channel<Item> QueueOf(RecordedEvent e) =>
        _queues.Length == 1 ? _queues[0] : _queues[(int)((uint)StringComparer.Ordinal.GetHashCode(e.StreamId) % (uint)_queues.Length)];

    /// <summary>How many events may wait before the pipeline's append blocks the socket reader.</summary>
    public int Capacity { get; }

    /// <summary>Events waiting for their commit.</summary>
    public int Backlog => Volatile.Read(ref _backlog);

    /// <summary>True while the last commit attempt could not reach the store. A refused event is an answer, not a failure.</summary>
    public bool Failing => Volatile.Read(ref _failing) != 0;

    /// <summary>Events written to the spill file because the store could not take them by the stop deadline.</summary>
    public int Spilled => Volatile.Read(ref _spilled);

    public string? SpillDirectory => _spill?.Directory;

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
        var queue = QueueOf(e);
        return queue.Writer.TryWrite(item) ? ValueTask.FromResult(done.Task) : WaitForRoomAsync(queue, item, ct);
    }

    private async ValueTask<Task<Appended>> WaitForRoomAsync(Channel<Item> queue, Item item, CancellationToken ct)
    {
        try
        {
            await queue.Writer.WriteAsync(item, ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            // the recorder is stopping and gave up draining: the event's task says it was not recorded
            Interlocked.Decrement(ref _backlog);
            item.Done.TrySetException(new InvalidOperationException("the committer is closed: the recorder stopped before this event could be queued", e));
        }
        catch (OperationCanceledException)
        {
            // never queued: it is not waiting for a commit either
            Interlocked.Decrement(ref _backlog);
            throw;
        }
        return item.Done.Task;
    }

    private async Task LoopAsync(Channel<Item> queue)
    {
        var batch = new List<Item>(_maxBatch);
        var pending = new List<PendingEvent>(_maxBatch);
        while (await queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // natural group commit: whatever queued while the previous batch committed goes in this one
            while (batch.Count < _maxBatch && queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
                pending.Add(new PendingEvent(item.Event));
            }
            if (!await CommitAsync(batch, pending, 0, batch.Count).ConfigureAwait(false))
            {
                SpillTheRest(queue, batch);
            }
            Interlocked.Add(ref _backlog, -batch.Count);
            batch.Clear();
            pending.Clear();
        }
    }

    /// <summary>Commits <c>batch[from..from+count]</c>; false when the stop deadline passed with the store still unreachable.</summary>
    private async Task<bool> CommitAsync(List<Item> batch, List<PendingEvent> pending, int from, int count)
    {
        var delay = FirstDelay;
        while (true)
        {
            try
            {
                // the whole batch, as always but after a refusal, goes as it is: no copy on the hot path
                var appended = await _store.AppendAsync(count == pending.Count ? pending : pending.GetRange(from, count)).ConfigureAwait(false);
                Volatile.Write(ref _failing, 0);
                for (var i = 0; i < count; i++)
                {
                    batch[from + i].Done.TrySetResult(appended[i]);
                }
                return true;
            }
            catch (Exception e)
            {
                switch (AppendErrors.Classify(e))
                {
                    case AppendFailure.Transient:
                        Volatile.Write(ref _failing, 1);
                        if (_giveUp.IsCancellationRequested)
                        {
                            return false;
                        }
                        EventStoreLog.AppendRetrying(_log, count, delay.TotalMilliseconds, e.Message);
                        try
                        {
                            await Task.Delay(delay, _time, _giveUp.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            // the stop deadline: one last attempt, then what is left is spilled
                        }
                        delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, LastDelay.TotalMilliseconds));
                        break;
                    case AppendFailure.Refused:
                        // the store answered: it is reachable, whatever it thought of this batch
                        Volatile.Write(ref _failing, 0);
                        if (count == 1 && batch[from].Event is EventRefused)
                        {
                            // a refusal of the refusal record would never end
                            batch[from].Done.TrySetException(e);
                            return true;
                        }
                        if (count == 1)
                        {
                            return await RefuseAsync(batch[from], e).ConfigureAwait(false);
                        }
                        var half = count / 2;
                        return await CommitAsync(batch, pending, from, half).ConfigureAwait(false)
                            && await CommitAsync(batch, pending, from + half, count - half).ConfigureAwait(false);
                    default:
                        EventStoreLog.AppendFatal(_log, count, e.Message);
                        for (var i = 0; i < count; i++)
                        {
                            batch[from + i].Done.TrySetException(e);
                        }
                        return true;
                }
            }
        }
    }

    /// <summary>Records the refusal in the event's place; the event's task completes with where the refusal landed.</summary>
    private async Task<bool> RefuseAsync(Item item, Exception why)
    {
        var e = item.Event;
        var refusal = new EventRefused(Cap(e.StreamId), e.Type, e.SourceKey is { } k ? Cap(k) : null, AppendErrors.SqlState(why), Cap(AppendErrors.Reason(why)), _time.GetUtcNow());
        EventStoreLog.Refused(_log, e.Type, refusal.Stream, refusal.SqlState, refusal.Reason);
        var one = new List<Item>(1) { new(refusal, new TaskCompletionSource<Appended>(TaskCreationOptions.RunContinuationsAsynchronously)) };
        if (!await CommitAsync(one, [new PendingEvent(refusal)], 0, 1).ConfigureAwait(false))
        {
            return false;
        }
        var recorded = one[0].Done.Task;
        if (recorded.IsCompletedSuccessfully)
        {
            item.Done.TrySetResult(recorded.Result with { StreamId = e.StreamId, Refusal = refusal });
        }
        else
        {
            // the store refuses even the refusal record: nothing more can be done for this event but to stop saying why
            item.Done.TrySetException(new InvalidOperationException($"the store refused a {e.Type} event ({refusal.SqlState}: {refusal.Reason}) and its refusal record", recorded.Exception?.GetBaseException()));
        }
        return true;
    }

    private static string Cap(string s) => s.Length <= 256 ? s : string.Concat(s.AsSpan(0, 255), "…");

    /// <summary>
    /// The stop deadline passed with the store unreachable: what this batch still holds and everything queued
    /// behind it is set aside for the spill file, which the stop writes once every connection has given up
    /// (one file, each stream's events in their order: a stream has one connection).
    /// </summary>
    private void SpillTheRest(Channel<Item> queue, List<Item> batch)
    {
        lock (_unrecorded)
        {
            foreach (var item in batch)
            {
                if (!item.Done.Task.IsCompleted)
                {
                    _unrecorded.Add(item);
                }
            }
            while (queue.Reader.TryRead(out var item))
            {
                _unrecorded.Add(item);
                Interlocked.Decrement(ref _backlog);
            }
        }
    }

    private void Spill()
    {
        List<Item> left;
        lock (_unrecorded)
        {
            left = [.. _unrecorded];
            _unrecorded.Clear();
        }
        if (left.Count == 0)
        {
            return;
        }
        if (_spill is null)
        {
            Fail(left, new InvalidOperationException($"the store was unreachable at the stop deadline and no spill directory is set: {left.Count} events not recorded"));
            return;
        }
        try
        {
            var path = _spill.Write([.. left.Select(i => i.Event)]);
            Interlocked.Add(ref _spilled, left.Count);
            EventStoreLog.Spilled(_log, left.Count, path);
            Fail(left, new EventsSpilledException(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            EventStoreLog.SpillFailed(_log, left.Count, e.Message);
            Fail(left, e);
        }
    }

    private static void Fail(List<Item> items, Exception e)
    {
        foreach (var item in items)
        {
            item.Done.TrySetException(e);
        }
    }

    /// <summary>How long a disposal that was not preceded by a stop gives the store before it spills.</summary>
    public static readonly TimeSpan DisposeDeadline = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Stops taking events and commits every accepted one; what the store cannot take within
    /// <paramref name="deadline"/> (while it is unreachable) goes to the spill file.
    /// </summary>
    /// <returns>How many events were spilled.</returns>
    public async Task<int> StopAsync(TimeSpan deadline)
    {
        foreach (var queue in _queues)
        {
            queue.Writer.TryComplete();
        }
        if (_spill is not null && deadline != Timeout.InfiniteTimeSpan)
        {
            _giveUp.CancelAfter(deadline);
        }
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        finally
        {
            // a loop that ended on an exception leaves its events, and every other connection's, to the spill
            Spill();
        }
        return Spilled;
    }

    /// <summary>
    /// Stops taking events and waits until every accepted one is committed; with a spill file, a disposal
    /// that was not preceded by a stop gives the store <see cref="DisposeDeadline"/> and spills the rest,
    /// rather than waiting for ever on a store that is down.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(_spill is null ? Timeout.InfiniteTimeSpan : DisposeDeadline).ConfigureAwait(false);
        _giveUp.Dispose();
    }
}
