using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Reactive.Linq;
using ComplianceRecorder.Genesys.Speech;
using ComplianceRecorder.Pipeline.Input;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Genesys.AudioHook;

/// <summary>
/// The third intake: the recorder is the AudioHook server. Genesys connects a socket per call (to the web
/// host's <see cref="AudioHookOptions.Path"/>); each session's recognised speech becomes the same source
/// events the transcript dialects produce. Sessions are taken only while the recording subscribes; when
/// it stops, every session is sent <c>disconnect</c> and given a moment to close. Audio is never stored.
/// </summary>
public sealed class AudioHookSource(AudioHookOptions options, ISpeechRecognizer recognizer, TimeProvider time, ILogger log) : ITranscriptSource
{
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(3);

    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<Task, byte> _sessions = new();
    private IObserver<SourceEvent>? _observer;
    private CancellationToken _stop;
    private int _connected;

    public AudioHookOptions Options => options;

    public ISpeechRecognizer Recognizer => recognizer;

    public bool Connected => Volatile.Read(ref _observer) is not null;

    /// <summary>Sessions open now.</summary>
    public int Sessions => Volatile.Read(ref _connected);

    public int Reconnects => 0;

    /// <summary>Whether the recording is taking sessions (an upgrade before it is, or after it stopped, is answered 503).</summary>
    public bool Accepting => Connected && !_stop.IsCancellationRequested;

    public IObservable<SourceEvent> Events() => Observable.Create<SourceEvent>(async (observer, ct) =>
    {
        lock (_gate)
        {
            if (_observer is not null)
            {
                observer.OnError(new InvalidOperationException("the AudioHook source takes one subscriber"));
                return;
            }
            _observer = observer;
            _stop = ct;
        }
        try
        {
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping: each session was sent disconnect by the token; they get a moment to close
        }
        await Task.WhenAny(Task.WhenAll(_sessions.Keys), Task.Delay(StopWait, CancellationToken.None)).ConfigureAwait(false);
        lock (_gate)
        {
            _observer = null;
        }
        observer.OnCompleted();
    });

    /// <summary>The upgrade's checks; null when the request may upgrade, else why not.</summary>
    public string? Authorize(Func<string, string?> header, string requestTarget, string authority)
    {
        var refusal = MessageSignature.Check(header, requestTarget, authority, options, time.GetUtcNow());
        if (refusal is not null)
        {
            AudioHookLog.Refused(log, refusal);
        }
        return refusal;
    }

    /// <summary>
    /// Runs one session on an accepted socket until it ends. When <paramref name="stopping"/> fires (the host
    /// begins to stop, before the recording drains) or the recording stops, the session is sent disconnect,
    /// so its last words are recognised and recorded with the rest.
    /// </summary>
    public async Task RunAsync(WebSocket ws, string sessionId, string? organizationId, CancellationToken stopping)
    {
        var session = new AudioHookSession(ws, sessionId, organizationId, options, recognizer, Emit, time, log);
        Interlocked.Increment(ref _connected);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stopping, _stop);
        var run = session.RunAsync(stop.Token);
        _sessions.TryAdd(run, 0);
        try
        {
            await run.ConfigureAwait(false);
        }
        finally
        {
            _sessions.TryRemove(run, out _);
            Interlocked.Decrement(ref _connected);
        }
    }

    /// <summary>Sessions and their channels' workers emit from their own threads; the pipeline hears one at a time.</summary>
    private void Emit(SourceEvent e)
    {
        lock (_gate)
        {
            _observer?.OnNext(e);
        }
    }
}
