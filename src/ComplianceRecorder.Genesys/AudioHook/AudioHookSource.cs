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
    private readonly ConcurrentDictionary<string, DateTimeOffset> _signatures = new(StringComparer.Ordinal);
    // which session holds each call, and calls whose session ended without an end, waiting for a reconnect
    private readonly Lock _callsGate = new();
    private readonly Dictionary<string, CallHold> _calls = new(StringComparer.OrdinalIgnoreCase);
    // calls refused at the session limit, unheard from then until a session takes them or they are let go
    private readonly Dictionary<string, (DateTimeOffset At, ITimer Timer)> _refused = new(StringComparer.OrdinalIgnoreCase);
    // what _callsGate decided, said to the pipeline after it is released and in the order decided: an emit can block
    // while the store is slow, and under the lock it would hold every other session's open, close and timer with it
    private readonly ConcurrentQueue<SourceEvent> _said = new();
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
        EndWaitingCalls();
        lock (_gate)
        {
            _observer = null;
        }
        observer.OnCompleted();
    });

    /// <summary>The upgrade's checks; null when the request may upgrade, else why not.</summary>
    public string? Authorize(Func<string, string?> header, string requestTarget, string authority)
    {
        var now = time.GetUtcNow();
        var refusal = MessageSignature.Check(header, requestTarget, authority, options, now);
        if (refusal is null && options.ClientSecret.Length > 0 && !FirstUse(MessageSignature.Bytes(header("Signature")!), now))
        {
            refusal = "the signature was used before (a replayed upgrade)";
        }
        if (refusal is not null)
        {
            AudioHookLog.Refused(log, refusal);
        }
        return refusal;
    }

    /// <summary>
    /// Whether a valid signature is seen for the first time. Each is remembered for as long as its created time
    /// passes the check (<see cref="MessageSignature.Window"/>); after that it is refused as not current anyway.
    /// </summary>
    private bool FirstUse(string signature, DateTimeOffset now)
    {
        if (_signatures.Count > 64)
        {
            foreach (var (s, until) in _signatures)
            {
                if (until < now)
                {
                    _signatures.TryRemove(s, out _);
                }
            }
        }
        return _signatures.TryAdd(signature, now + MessageSignature.Window);
    }

    /// <summary>
    /// Runs one session on an accepted socket until it ends. When <paramref name="stopping"/> fires (the host
    /// begins to stop, before the recording drains) or the recording stops, the session is sent disconnect,
    /// so its last words are recognised and recorded with the rest.
    /// </summary>
    public async Task RunAsync(WebSocket ws, string sessionId, string? organizationId, CancellationToken stopping)
    {
        var session = new AudioHookSession(ws, sessionId, organizationId, this, time, log);
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

    /// <summary>
    /// A session's open names its call. A call another live session holds is refused (that session alone may
    /// end it); a call whose session ended without its end, within <see cref="AudioHookOptions.ReconnectGrace"/>,
    /// is continued, the interval between the sessions recorded as a gap, and the call's clock carried on.
    /// What the claim says of the call (its hold, a gap) is queued, not sent: the session sends it with
    /// <see cref="Flush"/> once it has answered (Genesys waits 5 s for <c>opened</c>, the store may be slower).
    /// </summary>
    internal CallClaim Claim(string call, AudioHookSession session)
    {
        lock (_callsGate)
        {
            // taken under the lock, so a refusal's time never follows the open that ends its gap
            var now = time.GetUtcNow();
            if (!_calls.TryGetValue(call, out var hold))
            {
                if (OverLimit())
                {
                    Refuse(call, now);
                    return new CallClaim(ClaimOutcome.OverLimit, 0, Task.CompletedTask);
                }
                Unrefuse(call, now);
                _calls[call] = new CallHold { Owner = session };
                // the call ends when its session says so (or its reconnect grace runs out), never by silence
                Say(new CallHeld(call, now));
                return new CallClaim(ClaimOutcome.New, 0, Task.CompletedTask);
            }
            if (hold.Owner is not null)
            {
                return new CallClaim(ClaimOutcome.HeldByAnother, 0, hold.Freed.Task);
            }
            if (OverLimit())
            {
                Refuse(call, now);
                return new CallClaim(ClaimOutcome.OverLimit, 0, Task.CompletedTask);
            }
            Unrefuse(call, now);
            hold.Expiry?.Dispose();
            hold.Expiry = null;
            hold.Owner = session;
            hold.Freed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            var away = now - hold.EndedAt;
            Say(new SourceDisconnected([call], hold.EndedAt, "audio not sent", now)
            {
                Detail = $"the AudioHook session ended ({hold.Why}) and another continued the call {away.TotalSeconds:F1} s later: audio between them was not heard",
            });
            return new CallClaim(ClaimOutcome.Continued, hold.Timeline + (long)(Math.Max(0, away.TotalSeconds) * AudioHookSession.Rate), Task.CompletedTask);
        }
    }

    /// <summary>
    /// The session that holds the call lost its socket: another may take the call from now (Genesys' next
    /// session must not wait for this one's last words to be recognised), on the call's clock where this one stopped.
    /// </summary>
    internal void Detach(string call, AudioHookSession session, string why, long timeline, DateTimeOffset now)
    {
        lock (_callsGate)
        {
            if (_calls.TryGetValue(call, out var hold) && ReferenceEquals(hold.Owner, session))
            {
                hold.LetGo(why, timeline, now);
            }
        }
    }

    /// <summary>
    /// The session that holds the call is over. With <paramref name="end"/> (Genesys closed it with reason
    /// <c>end</c>, or the recording stops) the call ends now; otherwise it waits
    /// <see cref="AudioHookOptions.ReconnectGrace"/> for another session before it ends with <paramref name="why"/>.
    /// </summary>
    internal void Release(string call, AudioHookSession session, string why, bool end, long timeline, DateTimeOffset now)
    {
        HandBack(call, session, why, end, timeline, now);
        Flush();
    }

    private void HandBack(string call, AudioHookSession session, string why, bool end, long timeline, DateTimeOffset now)
    {
        lock (_callsGate)
        {
            // a detached session's call may have been taken by another since: then it is that one's to end
            if (!_calls.TryGetValue(call, out var hold) || !(ReferenceEquals(hold.Owner, session) || (hold.Owner is null && ReferenceEquals(hold.Last, session))))
            {
                return;
            }
            if (end || _stop.IsCancellationRequested || options.ReconnectGrace <= TimeSpan.Zero)
            {
                _calls.Remove(call);
                hold.Freed.TrySetResult();
                // a session for it refused meanwhile: that gap ends with the call, which ends once
                Unrefuse(call, now, "until the call was ended");
                Say(new CallFinished(call, why, now));
                return;
            }
            if (hold.Owner is not null)
            {
                hold.LetGo(why, timeline, now);
            }
            // the grace counts from when its last words were recorded, so an end after it never precedes them
            hold.Expiry = time.CreateTimer(_ => Expire(call, hold), null, options.ReconnectGrace, Timeout.InfiniteTimeSpan);
        }
    }

    // under _callsGate: a handful of calls, counted at each open
    private bool OverLimit() => _calls.Values.Count(h => h.Owner is not null) >= options.MaxSessions;

    /// <summary>
    /// Under <see cref="_callsGate"/>: a call refused at the limit is unheard from now. Genesys sends nothing more of
    /// it, so its end is not known: the source holds its record and lets it go <see cref="AudioHookOptions.CallIdle"/>
    /// later (as the recorder lets go a call it stops hearing), unless a session takes it or it is ended before.
    /// </summary>
    private void Refuse(string call, DateTimeOffset now)
    {
        if (_refused.ContainsKey(call))
        {
            return;
        }
        _refused[call] = (now, time.CreateTimer(_ => LetRefusedGo(call, now), null, options.CallIdle, Timeout.InfiniteTimeSpan));
        if (!_calls.ContainsKey(call))
        {
            Say(new CallHeld(call, now));
        }
    }

    /// <summary>
    /// Under <see cref="_callsGate"/>: a refused call's unheard span ends now, recorded as a gap that says until when
    /// (by default, until another session for it opened).
    /// </summary>
    private void Unrefuse(string call, DateTimeOffset now, string? until = null)
    {
        if (_refused.Remove(call, out var refused))
        {
            refused.Timer.Dispose();
            // the clock may have stepped back since the refusal: the gap never ends before it begins
            now = now < refused.At ? refused.At : now;
            Say(new SourceDisconnected([call], refused.At, "audio not recognised", now)
            {
                Detail = $"the call was refused: {options.MaxSessions} calls were being recognised, the limit (Genesys:AudioHook:MaxSessions); none of its audio was heard {until ?? $"until another session for it opened, {(now - refused.At).TotalSeconds:F1} s later"}",
            });
        }
    }

    private void LetRefusedGo(string call, DateTimeOffset refusedAt)
    {
        lock (_callsGate)
        {
            // the refusal may have ended already (a session took the call, or it was ended) as this timer fired:
            // then its end was said, and the call may be another refusal's or session's now
            if (!_refused.TryGetValue(call, out var refused) || refused.At != refusedAt)
            {
                return;
            }
            var now = time.GetUtcNow();
            Unrefuse(call, now, $"from then on. Its end is not known to the recorder (Genesys sends nothing more of a refused call): this gap ends when the call is let go, Recorder:CallIdleSeconds ({options.CallIdle.TotalSeconds:F0} s) after the refusal; the call may have gone on past it");
            if (!_calls.ContainsKey(call))
            {
                Say(new CallFinished(call, "refused at the session limit (Genesys:AudioHook:MaxSessions): the call's end was not heard", now));
            }
        }
        Flush();
    }

    /// <summary>Whether a live session holds the call now.</summary>
    internal bool Holds(string call)
    {
        lock (_callsGate)
        {
            return _calls.TryGetValue(call, out var hold) && hold.Owner is not null;
        }
    }

    private void Expire(string call, CallHold hold)
    {
        lock (_callsGate)
        {
            if (hold.Owner is null && _calls.TryGetValue(call, out var current) && ReferenceEquals(current, hold))
            {
                _calls.Remove(call);
                hold.Expiry?.Dispose();
                // a session for the call was refused since: the call may be going on unheard, so its end is the refusal's to say;
                // the refusal's gap begins at the retry, so the span from the drop to it is this one's, with the drop's reason
                if (_refused.TryGetValue(call, out var refused))
                {
                    var retried = refused.At < hold.EndedAt ? hold.EndedAt : refused.At;
                    Say(new SourceDisconnected([call], hold.EndedAt, "audio not sent", retried)
                    {
                        Detail = $"the AudioHook session ended ({hold.Why}) and a session for the call {(retried - hold.EndedAt).TotalSeconds:F1} s later was refused at the session limit: audio between them was not heard",
                    });
                }
                else
                {
                    Say(new CallFinished(call, hold.Why, time.GetUtcNow()));
                }
            }
        }
        Flush();
    }

    /// <summary>Stopping: calls waiting for a reconnect, and refused calls, end now, so the drain records their ends.</summary>
    private void EndWaitingCalls()
    {
        lock (_callsGate)
        {
            foreach (var (call, hold) in _calls.Where(c => c.Value.Owner is null).ToList())
            {
                _calls.Remove(call);
                hold.Expiry?.Dispose();
                Unrefuse(call, time.GetUtcNow(), "until the recorder stopped");
                Say(new CallFinished(call, hold.Why, time.GetUtcNow()));
            }
            foreach (var call in _refused.Keys.ToList())
            {
                Unrefuse(call, time.GetUtcNow(), "until the recorder stopped; its end is not known to the recorder");
                Say(new CallFinished(call, "refused at the session limit (Genesys:AudioHook:MaxSessions): the recorder stopped before the call's end was heard", time.GetUtcNow()));
            }
        }
        Flush();
    }

    /// <summary>Under <see cref="_callsGate"/>: queued for <see cref="Flush"/>, in the order the lock decided.</summary>
    private void Say(SourceEvent e) => _said.Enqueue(e);

    /// <summary>What the calls' bookkeeping decided, to the pipeline; called with <see cref="_callsGate"/> released.</summary>
    internal void Flush()
    {
        lock (_gate)
        {
            SaidToPipeline();
        }
    }

    /// <summary>Sessions and their channels' workers emit from their own threads; the pipeline hears one at a time.</summary>
    internal void Emit(SourceEvent e)
    {
        lock (_gate)
        {
            // what was decided before this (a call's hold, a gap) is heard before it
            SaidToPipeline();
            _observer?.OnNext(e);
        }
    }

    // under _gate
    private void SaidToPipeline()
    {
        while (_said.TryDequeue(out var e))
        {
            _observer?.OnNext(e);
        }
    }
}

internal enum ClaimOutcome
{
    New,
    Continued,
    HeldByAnother,
    OverLimit,
}

/// <summary>
/// What a session's open got: the call, continued or not (<see cref="Timeline"/>: where the call's clock is, in
/// samples), or a refusal, with <see cref="Freed"/> done when the holder lets go.
/// </summary>
internal readonly record struct CallClaim(ClaimOutcome Outcome, long Timeline, Task Freed);

/// <summary>A call's holder: the live session, or (none) when and why the last one ended, and its clock then.</summary>
internal sealed class CallHold
{
    public AudioHookSession? Owner { get; set; }

    /// <summary>The session that held the call last, while none does.</summary>
    public AudioHookSession? Last { get; set; }

    public TaskCompletionSource Freed { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DateTimeOffset EndedAt { get; set; }

    public string Why { get; set; } = "";

    public long Timeline { get; set; }

    public ITimer? Expiry { get; set; }

    /// <summary>Its session is over: none holds the call now; when, why and where its clock stopped are kept for the next.</summary>
    public void LetGo(string why, long timeline, DateTimeOffset at)
    {
        Last = Owner;
        Owner = null;
        EndedAt = at;
        Why = why;
        Timeline = timeline;
        Freed.TrySetResult();
    }
}
