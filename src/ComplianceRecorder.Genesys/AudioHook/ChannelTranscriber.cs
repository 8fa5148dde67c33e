using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using ComplianceRecorder.Genesys.Speech;
using ComplianceRecorder.Pipeline.Input;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Genesys.AudioHook;

/// <summary>
/// One channel of one call between the socket and its recognizer. The socket's reader only queues audio
/// (<see cref="Offer"/> never waits); an async worker feeds the recognizer, holding no thread while it waits
/// for audio or for the recognizer (a blocking engine blocks threads of its own, as the embedded one does). Audio past
/// <see cref="AudioHookOptions.MaxBacklog"/> waiting is dropped and recorded as a gap, so recognition
/// slower than real time costs words, never the socket. A jump in the timeline (a pause, a discarded
/// span, dropped audio) ends the stream's utterance and starts a new stream there.
/// </summary>
internal sealed class ChannelTranscriber
{
    private static readonly Meter Meter = new("ComplianceRecorder");
    private static readonly Histogram<double> RealTimeFactor = Meter.CreateHistogram<double>(
        "recorder.audiohook.real_time_factor", description: "recognition time over audio time, per call channel (below 1 keeps up)");

    private readonly Channel<Chunk> _queue = Channel.CreateUnbounded<Chunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly SessionContext _session;
    private readonly string _channel;
    private readonly long _maxQueued;
    private readonly Task _worker;
    private long _queued;
    private long _dropped;
    private bool _shedding;
    private long _headTicks;
    private readonly TimeSpan _maxBehind;
    private DateTimeOffset _droppedSince;
    private volatile string? _failed;
    private long _audioSamples;
    private long _busyTicks;

    public ChannelTranscriber(SessionContext session, string channel, TimeSpan maxBacklog)
    {
        _session = session;
        _channel = channel;
        _maxQueued = (long)(maxBacklog.TotalSeconds * AudioHookSession.Rate);
        _maxBehind = maxBacklog;
        _worker = Task.Run(RunAsync);
    }

    private readonly record struct Chunk(short[]? Samples, int Count, long AtSample, DateTimeOffset ReceivedAt);

    /// <summary>Seconds of audio recognised, and the time the recognizer took for them.</summary>
    public (double Audio, double Busy) Work => (Interlocked.Read(ref _audioSamples) / (double)AudioHookSession.Rate, TimeSpan.FromTicks(Interlocked.Read(ref _busyTicks)).TotalSeconds);

    /// <summary>Takes a rented buffer (returned to the pool once used); never blocks the reader.</summary>
    public void Offer(short[] samples, int count, long atSample, DateTimeOffset receivedAt)
    {
        var queued = Interlocked.Read(ref _queued);
        // how far behind the recognizer is on the wall clock: the audio it is on now arrived this long ago
        // (a bound in audio seconds alone lets a recognizer three times slower than real time fall three times as far behind)
        var head = Interlocked.Read(ref _headTicks);
        var behind = head == 0 ? TimeSpan.Zero : receivedAt - new DateTimeOffset(head, TimeSpan.Zero);
        // once shedding, audio is taken again only when the backlog is down to half: a recognizer hovering at
        // the bound would otherwise hear every other frame and record a gap between each
        if (_shedding && queued <= _maxQueued / 2 && behind <= _maxBehind / 2)
        {
            _shedding = false;
        }
        if (_failed is null && !_shedding && queued + count <= _maxQueued && behind <= _maxBehind && _queue.Writer.TryWrite(new Chunk(samples, count, atSample, receivedAt)))
        {
            Interlocked.Add(ref _queued, count);
            ReportDropped(receivedAt);
            return;
        }
        ArrayPool<short>.Shared.Return(samples);
        _shedding = true;
        if (Interlocked.Add(ref _dropped, count) == count)
        {
            _droppedSince = receivedAt;
        }
    }

    /// <summary>The utterance being spoken ends here (a pause, the call's close).</summary>
    public void Flush() => _queue.Writer.TryWrite(new Chunk(null, 0, -1, default));

    /// <summary>No more audio: waits until what was queued is recognised (each final emitted).</summary>
    public async Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _worker.ConfigureAwait(false);
        }
        finally
        {
            // whatever became of the worker, the audio it never recognised is on record
            ReportDropped(_session.Time.GetUtcNow());
        }
        var (audio, busy) = Work;
        if (audio > 0)
        {
            RealTimeFactor.Record(busy / audio);
            AudioHookLog.ChannelRecognised(_session.Log, _session.ConversationId, _channel, audio, busy, busy / audio);
        }
    }

    private void ReportDropped(DateTimeOffset until)
    {
        var dropped = Interlocked.Exchange(ref _dropped, 0);
        if (dropped == 0)
        {
            return;
        }
        var seconds = dropped / (double)AudioHookSession.Rate;
        var why = _failed is { } f ? $"the recognizer failed ({f})" : $"recognition was more than {_maxBehind.TotalSeconds:0.#} s behind";
        _session.Emit(new SourceDisconnected([_session.ConversationId], _droppedSince, "audio not recognised", until)
        {
            Detail = $"{seconds:F1} s of {_channel} audio not recognised: {why}",
        });
    }

    private async Task RunAsync()
    {
        ISpeechStream? stream = null;
        var expected = -1L;
        var baseSample = 0L;
        var epoch = 0;
        var output = new List<SpeechHypothesis>(4);
        var at = default(DateTimeOffset);
        try
        {
            await foreach (var c in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                if (c.Samples is null || (stream is not null && c.AtSample != expected))
                {
                    if (stream is not null)
                    {
                        await stream.CompleteAsync(output, CancellationToken.None).ConfigureAwait(false);
                        Publish(output, baseSample, epoch, at);
                        Release(ref stream);
                    }
                    if (c.Samples is null)
                    {
                        continue;
                    }
                }
                Interlocked.Exchange(ref _headTicks, c.ReceivedAt.UtcTicks);
                try
                {
                    var started = Stopwatch.GetTimestamp();
                    if (stream is null)
                    {
                        stream = _session.Recognizer.Open(new SpeechStreamInfo(_session.ConversationId, _channel, _session.Language, AudioHookSession.Rate));
                        baseSample = c.AtSample;
                        epoch++;
                    }
                    await stream.AcceptAsync(c.Samples.AsMemory(0, c.Count), output, CancellationToken.None).ConfigureAwait(false);
                    Interlocked.Add(ref _busyTicks, Stopwatch.GetElapsedTime(started).Ticks);
                    Interlocked.Add(ref _audioSamples, c.Count);
                }
                finally
                {
                    Interlocked.Add(ref _queued, -c.Count);
                    ArrayPool<short>.Shared.Return(c.Samples);
                }
                if (Interlocked.Read(ref _queued) == 0)
                {
                    // caught up: idle is not behind
                    Interlocked.Exchange(ref _headTicks, 0);
                }
                expected = c.AtSample + c.Count;
                at = c.ReceivedAt;
                Publish(output, baseSample, epoch, at);
            }
            if (stream is not null)
            {
                await stream.CompleteAsync(output, CancellationToken.None).ConfigureAwait(false);
                Publish(output, baseSample, epoch, at);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // what is queued and what comes after is counted as dropped, and recorded as a gap at the end
            _failed = e.GetType().Name + ": " + e.Message;
            AudioHookLog.RecognizerFailed(_session.Log, _session.ConversationId, _channel, _failed);
            // nothing more is queued from here (an offer racing the failure is counted as dropped instead), so the drain gets all
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var left))
            {
                if (left.Samples is { } s)
                {
                    Interlocked.Add(ref _dropped, left.Count);
                    ArrayPool<short>.Shared.Return(s);
                }
            }
            _droppedSince = at == default ? _session.Time.GetUtcNow() : at;
        }
        finally
        {
            Release(ref stream);
        }
    }

    /// <summary>
    /// Once, and never failing the channel: a plug-in stream whose Dispose throws has already given its words; the next
    /// utterance opens a new stream.
    /// </summary>
    private void Release(ref ISpeechStream? stream)
    {
        var done = stream;
        stream = null;
        try
        {
            done?.Dispose();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            AudioHookLog.StreamNotReleased(_session.Log, _session.ConversationId, _channel, e.GetType().Name + ": " + e.Message);
        }
    }

    private void Publish(List<SpeechHypothesis> output, long baseSample, int epoch, DateTimeOffset heardAt)
    {
        foreach (var h in output)
        {
            _session.Emit(new TranscriptReceived(_session.ConversationId, _channel, $"{_session.SessionId}:{_channel}:{epoch}:{h.Utterance}", h.IsFinal, h.Text,
                (baseSample * 1000 / AudioHookSession.Rate) + (long)h.Offset.TotalMilliseconds, (long)h.Duration.TotalMilliseconds,
                // the source's time is when the audio that completed this revision arrived: source→receive is recognition's delay
                heardAt, null, _session.SessionId, "audiohook", false, _session.Time.GetUtcNow()));
        }
        output.Clear();
    }
}

/// <summary>What a channel's transcriber needs from its session.</summary>
internal sealed record SessionContext(string SessionId, string ConversationId, string Language, ISpeechRecognizer Recognizer, Action<SourceEvent> Emit, TimeProvider Time, ILogger Log);
