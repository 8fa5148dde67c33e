using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Xml;
using ComplianceRecorder.Genesys.Speech;
using ComplianceRecorder.Pipeline.Input;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Genesys.AudioHook;

/// <summary>
/// One AudioHook session on one socket (../shared/genesys/audiohook.md §2–4), its messages handled strictly
/// in order and one send at a time. <c>open</c> is answered with <c>opened</c> before anything slow; PCMU
/// frames are split by the chosen offer's channel order (external = customer, internal = agent) and queued
/// to each channel's recognizer; pauses and discarded spans become gaps; <c>close</c> is answered with
/// <c>closed</c> at once, then the channels finish and the call is reported finished. A text frame that is
/// not a message, and audio where none may come, are quarantined and the session goes on; a broken
/// sequence, a wrong id or an open of another organization is answered with <c>disconnect</c>.
/// </summary>
internal sealed class AudioHookSession(WebSocket ws, string sessionId, string? organizationHeader, AudioHookSource source, TimeProvider time, ILogger log)
{
    public const int Rate = 8000;

    private const int MaxText = 65_536;
    private const int MaxBinary = 1024 * 1024;
    private const int RawCap = 8192;
    private const int QuarantineEach = 10;
    private const int HostileAfter = 100;
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);
    // well inside Genesys' 5 s for opened
    private static readonly TimeSpan HolderWait = TimeSpan.FromSeconds(2);
    // the client pings every 5 s: a session that sends nothing at all for this long is gone, though its socket may never say so
    internal static readonly TimeSpan Quiet = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan QuietCheck = TimeSpan.FromSeconds(5);
    // no call lasts two days: a position or span past it is absurd (and its samples would overflow the call's clock)
    private static readonly TimeSpan MaxTimeline = TimeSpan.FromDays(2);

    private readonly SemaphoreSlim _send = new(1, 1);
    // after a disconnect the client has CloseWait to close; then the socket is aborted
    private readonly CancellationTokenSource _receiveCut = new();
    private readonly ArrayBufferWriter<byte> _out = new(512);
    private byte[] _in = new byte[16 * 1024];
    private byte[]? _scratch;
    private State _state = State.AwaitingOpen;
    private long _seq;
    private long _clientSeq;
    private string _call = "";
    private ChannelTranscriber[] _channels = [];
    private string[] _names = [];
    private long _samples;
    private long _discardedSamples;
    // where this session's audio starts on the call's clock (a session continuing a dropped one starts later)
    private long _base;
    private bool _paused;
    private DateTimeOffset _pausedAt;
    private DateTimeOffset _openedAt;
    // the parties open offered no audio of (a mono offer, no media): a gap over the whole session at its end
    private string _unheard = "";
    private bool _driftLogged;
    private int _quarantined;
    private int _unkept;
    // when the receive outstanding now began, as a timestamp of the injected clock (monotonic: a wall clock set back
    // or forward must neither hide a dead client nor cut a live one), 0 while none is (the reader is handling a frame, or held by
    // the recorder): written per frame, read by the quiet watch, so time the reader spends elsewhere is not the client's silence
    private long _waitingSince;
    private int _quiet;

    private enum State
    {
        AwaitingOpen,
        Open,
        Paused,
        Disconnecting,
        Closed,
    }

    public async Task RunAsync(CancellationToken stop)
    {
        using var stopping = stop.Register(() => _ = DisconnectAsync("error", "the recorder is stopping"));
        using var watch = time.CreateTimer(_ => WatchQuiet(), null, QuietCheck, QuietCheck);
        string? ended = null;
        try
        {
            while (true)
            {
                var (type, length) = await ReceiveAsync().ConfigureAwait(false);
                if (type == WebSocketMessageType.Close)
                {
                    ended = "the client closed the socket";
                    if (ws.State == WebSocketState.CloseReceived)
                    {
                        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
                    }
                    break;
                }
                var now = time.GetUtcNow();
                if (length < 0)
                {
                    Quarantine(type == WebSocketMessageType.Text ? Encoding.UTF8.GetString(_in, 0, Math.Min(RawCap, _in.Length)) : "",
                        -length, $"{(type == WebSocketMessageType.Text ? "text" : "binary")} frame of {-length} bytes is over the limit", now);
                }
                else if (type == WebSocketMessageType.Binary)
                {
                    OnAudio(length, now);
                }
                else
                {
                    await OnTextAsync(length, now).ConfigureAwait(false);
                }
            }
        }
        catch (WebSocketException e)
        {
            ended = "the socket dropped: " + e.WebSocketErrorCode;
        }
        catch (OperationCanceledException)
        {
            ended = Volatile.Read(ref _quiet) != 0
                ? $"nothing heard from the client for {Quiet.TotalSeconds:F0} s, though it pings every 5 s: the session was taken as gone"
                : "no close within the time allowed after disconnect";
            ws.Abort();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // a fault in this session's handling must not leave its call open nor its channels' workers running
            ended = "the server could not go on with the session (" + e.GetType().Name + ")";
            AudioHookLog.SessionFailed(log, sessionId, e.GetType().Name);
            await DisconnectAsync("error", "the server could not go on with this session").ConfigureAwait(false);
            ws.Abort();
        }
        QuarantineSummary(time.GetUtcNow());
        if (_call.Length > 0)
        {
            // another session may continue the call (a reconnect, a retried open): it waits a moment for one
            AudioHookLog.Dropped(log, sessionId, _call, ended ?? "");
            await FinishAsync($"the AudioHook session ended without a close ({ended}): the rest of the call was not heard", end: false).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A session silent for <see cref="Quiet"/> while the reader waits on it is disconnected as gone: with its idle end off, its call would otherwise
    /// stay open until its socket dropped, which a half-open connection never does. It has the usual moment to close.
    /// </summary>
    private void WatchQuiet()
    {
        var waitingSince = Volatile.Read(ref _waitingSince);
        if (waitingSince != 0 && time.GetElapsedTime(waitingSince) >= Quiet && Interlocked.Exchange(ref _quiet, 1) == 0)
        {
            _ = DisconnectAsync("error", $"nothing heard from the client for {Quiet.TotalSeconds:F0} s");
            // a session already closed or disconnecting is cut too: its call is the source's either way
            _receiveCut.CancelAfter(CloseWait);
        }
    }

    /// <summary>A whole message into <see cref="_in"/>; a negative length is an oversized one (its start kept, the rest counted).</summary>
    private async Task<(WebSocketMessageType Type, int Length)> ReceiveAsync()
    {
        var length = 0;
        var total = 0L;
        while (true)
        {
            if (length == _in.Length && _in.Length < MaxBinary)
            {
                Array.Resize(ref _in, Math.Min(MaxBinary, _in.Length * 2));
            }
            var room = length < _in.Length ? _in.AsMemory(length) : (_scratch ??= new byte[16 * 1024]);
            Volatile.Write(ref _waitingSince, Math.Max(1, time.GetTimestamp()));
            var r = await ws.ReceiveAsync(room, _receiveCut.Token).ConfigureAwait(false);
            Volatile.Write(ref _waitingSince, 0);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                return (r.MessageType, 0);
            }
            total += r.Count;
            if (length < _in.Length)
            {
                length += r.Count;
            }
            if (r.EndOfMessage)
            {
                var limit = r.MessageType == WebSocketMessageType.Text ? MaxText : MaxBinary;
                return (r.MessageType, total > limit ? -(int)Math.Min(int.MaxValue, total) : length);
            }
        }
    }

    private void OnAudio(int length, DateTimeOffset now)
    {
        if (_state != State.Open || _channels.Length == 0)
        {
            // never the bytes themselves: audio is not stored, quarantined or not
            Quarantine("", length, _state switch
            {
                State.AwaitingOpen => "audio before open",
                State.Paused => "audio while paused",
                _ => _channels.Length == 0 ? "audio on a session that chose no media" : "audio after close",
            }, now);
            return;
        }
        var n = _channels.Length;
        if (length % n != 0)
        {
            Quarantine("", length, $"audio frame of {length} bytes is not whole {n}-channel samples", now);
            return;
        }
        var count = length / n;
        var at = _base + _samples + _discardedSamples;
        for (var c = 0; c < n; c++)
        {
            var samples = ArrayPool<short>.Shared.Rent(count);
            for (int i = 0, j = c; i < count; i++, j += n)
            {
                samples[i] = MuLaw.Decode(_in[j]);
            }
            _channels[c].Offer(samples, count, at, now);
        }
        _samples += count;
    }

    private async Task OnTextAsync(int length, DateTimeOffset now)
    {
        string type;
        long seq;
        long serverSeq;
        string id;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(_in.AsMemory(0, length), new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            type = Text(root, "type") ?? throw new FieldException("'type' is missing");
            seq = root.GetProperty("seq").GetInt64();
            serverSeq = root.GetProperty("serverseq").GetInt64();
            id = Text(root, "id") ?? throw new FieldException("'id' is missing");
            if (Text(root, "position") is { } position)
            {
                CheckPosition(OnTimeline(XmlConvert.ToTimeSpan(position), "position"));
            }
            if (root.TryGetProperty("parameters", out var p) && p.ValueKind != JsonValueKind.Object)
            {
                throw new FieldException("'parameters' is not an object");
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            var text = Encoding.UTF8.GetString(_in, 0, Math.Min(length, RawCap));
            Quarantine(text, length, "not an AudioHook message: " + Why(e), now);
            return;
        }
        using (doc)
        {
            if (!string.Equals(id, sessionId, StringComparison.OrdinalIgnoreCase))
            {
                await DisconnectAsync("error", "a message's id is not the session's").ConfigureAwait(false);
                return;
            }
            if (seq <= _clientSeq || serverSeq > _seq)
            {
                await DisconnectAsync("error", $"sequence numbers out of order (seq {seq} after {_clientSeq}, serverseq {serverSeq} of {_seq})").ConfigureAwait(false);
                return;
            }
            _clientSeq = seq;
            var parameters = doc.RootElement.TryGetProperty("parameters", out var p) ? p : default;
            try
            {
                await DispatchAsync(type, parameters, length, now).ConfigureAwait(false);
            }
            catch (FieldException e)
            {
                // a field of the wrong type in a message the session knows: that message is quarantined, the session goes on
                Quarantine(Encoding.UTF8.GetString(_in, 0, Math.Min(length, RawCap)), length, $"{Named(type)}: {e.Message}", now);
            }
        }
    }

    private async Task DispatchAsync(string type, JsonElement parameters, int length, DateTimeOffset now)
    {
        switch (type)
        {
            case "open" when _state == State.AwaitingOpen:
                await OnOpenAsync(parameters, now).ConfigureAwait(false);
                break;
            case "ping":
                await SendAsync("pong", null).ConfigureAwait(false);
                break;
            case "paused" when _state == State.Open:
                _state = State.Paused;
                _paused = true;
                _pausedAt = now;
                Array.ForEach(_channels, c => c.Flush());
                break;
            case "resumed" when _state == State.Paused:
                if (await DiscardedAsync(type, parameters).ConfigureAwait(false) is not { } discarded)
                {
                    break;
                }
                _state = State.Open;
                _paused = false;
                _discardedSamples += (long)(discarded.TotalSeconds * Rate);
                Gap(_pausedAt, now, $"audio paused by Genesys for {(now - _pausedAt).TotalSeconds:F1} s (a secure flow withholds it on purpose); {discarded.TotalSeconds:F1} s not sent");
                break;
            case "discarded":
                if (await DiscardedAsync(type, parameters).ConfigureAwait(false) is not { } span)
                {
                    break;
                }
                _discardedSamples += (long)(span.TotalSeconds * Rate);
                Array.ForEach(_channels, c => c.Flush());
                Gap(now - span, now, $"{span.TotalSeconds:F1} s of audio discarded by Genesys, not sent");
                break;
            case "update":
                break;
            case "error":
                // the code only: the client's message is its own text, which may quote what was said (read for its type alone)
                _ = Text(parameters, "message");
                AudioHookLog.ClientError(log, sessionId, parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.Number && code.TryGetInt32(out var c) ? c : 0);
                break;
            case "close" when _state is not State.Closed:
                _state = State.Closed;
                await SendAsync("closed", null).ConfigureAwait(false);
                // the close is honoured whatever its reason field holds: a reason of the wrong type is no reason
                // and only the protocol's reasons are kept: the client's own text reaches neither a log line nor the clear data of an event
                var reason = parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String
                    ? r.GetString() switch { "end" => "end", "error" => "error", "disconnect" => "disconnect", "reconnect" => "reconnect", _ => "unknown" }
                    : "";
                if (_call.Length > 0)
                {
                    AudioHookLog.Closed(log, sessionId, _call, reason);
                    // "end" is the call's end; any other reason (error, reconnect, disconnect) may be followed by another session
                    await FinishAsync($"the AudioHook session closed ({reason[..Math.Min(reason.Length, 40)]})", end: reason == "end").ConfigureAwait(false);
                }
                break;
            default:
                Quarantine(Encoding.UTF8.GetString(_in, 0, Math.Min(length, RawCap)), length, $"unexpected message {Named(type)} in state {_state}", now);
                break;
        }
    }

    private async Task OnOpenAsync(JsonElement parameters, DateTimeOffset now)
    {
        var started = Stopwatch.GetTimestamp();
        string? org;
        string? call;
        string language;
        try
        {
            org = Text(parameters, "organizationId");
            call = Text(parameters, "conversationId");
            language = Text(parameters, "language") is { Length: > 0 } lang ? lang : "en-US";
        }
        catch (FieldException)
        {
            org = call = null;
            language = "";
        }
        if (org is null || call is null)
        {
            await DisconnectAsync("error", "open without organizationId or conversationId as strings").ConfigureAwait(false);
            return;
        }
        if (organizationHeader is not null && !string.Equals(org, organizationHeader, StringComparison.OrdinalIgnoreCase))
        {
            await DisconnectAsync("unauthorized", "open's organizationId is not the upgrade's").ConfigureAwait(false);
            return;
        }
        if (!Guid.TryParse(call, out var g))
        {
            // a conversation id is a GUID: anything else (an empty one held a session slot for ever) is refused, and it
            // is written in one canonical form, so one call is one stream whatever case the client used
            await DisconnectAsync("error", "open's conversationId is not a GUID").ConfigureAwait(false);
            return;
        }
        call = g.ToString("D");
        var offer = ChooseMedia(parameters);
        var probe = g == Guid.Empty;
        if (!probe && await ClaimAsync(call).ConfigureAwait(false) is { Outcome: var outcome, Timeline: var timeline })
        {
            if (outcome == ClaimOutcome.OverLimit)
            {
                // refused per the protocol, and never silently: the source records the call unheard from now until it is let go
                await DisconnectAsync("error", $"call {call} refused: the recorder is at its limit of concurrent calls").ConfigureAwait(false);
                source.Flush();
                return;
            }
            if (outcome == ClaimOutcome.HeldByAnother)
            {
                // only the session that holds a call may end it: a second one (a replay, a stray retry) is refused and records nothing
                await DisconnectAsync("error", $"call {call} is held by another live session").ConfigureAwait(false);
                return;
            }
            _call = call;
            _base = timeline;
            _openedAt = now;
        }
        _state = State.Open;
        // opened first: anything slow (a recognizer loading its model) happens after it, off this reader
        await SendAsync("opened", w =>
        {
            w.WriteBoolean("startPaused", false);
            w.WriteStartArray("media");
            if (offer is { } o)
            {
                o.WriteTo(w);
            }
            w.WriteEndArray();
        }).ConfigureAwait(false);
        // then what the claim said of the call (its hold, a gap before it), before any of its speech: this may wait on the store
        source.Flush();
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (probe)
        {
            AudioHookLog.Probe(log, sessionId);
            return;
        }
        if (offer is { } chosen)
        {
            _names = [.. chosen.GetProperty("channels").EnumerateArray().Select(c => c.GetString() == "internal" ? "INTERNAL" : "EXTERNAL")];
            var context = new SessionContext(sessionId, call, language, source.Recognizer, source.Emit, time, log);
            _channels = [.. _names.Select(n => new ChannelTranscriber(context, n, source.Options.MaxBacklog))];
        }
        if (_names.Length < 2)
        {
            var missing = string.Join(" and ", new[] { "EXTERNAL", "INTERNAL" }.Except(_names));
            _unheard = $"{missing} audio not heard: open offered {(offer is null ? "no audio the recorder takes (PCMU at 8 kHz)" : "only the other party's channel")}";
        }
        AudioHookLog.Opened(log, sessionId, call, string.Join('+', _names), ms);
    }

    /// <summary>
    /// The call for this session. A call another session holds is waited for a moment: a reconnect's open can
    /// come before the old socket's loss is seen here.
    /// </summary>
    private async Task<CallClaim> ClaimAsync(string call)
    {
        var claim = source.Claim(call, this);
        if (claim.Outcome != ClaimOutcome.HeldByAnother)
        {
            return claim;
        }
        await Task.WhenAny(claim.Freed, Task.Delay(HolderWait, time)).ConfigureAwait(false);
        return source.Claim(call, this);
    }

    /// <summary>The stereo PCMU offer at 8 kHz if there is one (both parties), else a mono one, else none.</summary>
    private static JsonElement? ChooseMedia(JsonElement parameters)
    {
        if (!parameters.TryGetProperty("media", out var media) || media.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        JsonElement? mono = null;
        foreach (var m in media.EnumerateArray())
        {
            // an offer with a field of the wrong type is one the recorder does not take
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("format", out var f) || !f.ValueEquals("PCMU")
                || !m.TryGetProperty("rate", out var r) || r.ValueKind != JsonValueKind.Number || !r.TryGetInt32(out var rate) || rate != Rate
                || !m.TryGetProperty("channels", out var ch) || ch.ValueKind != JsonValueKind.Array)
            {
                continue;
            }
            var names = ch.EnumerateArray().Select(c => c.ValueKind == JsonValueKind.String ? c.GetString() : null).ToList();
            if (names.Count == 0 || names.Any(n => n is not ("external" or "internal")) || names.Distinct().Count() != names.Count)
            {
                continue;
            }
            if (names.Count == 2)
            {
                return m.Clone();
            }
            mono ??= m.Clone();
        }
        return mono;
    }

    private static readonly string[] Types = ["open", "ping", "paused", "resumed", "discarded", "update", "error", "close", "closed", "opened", "pong", "disconnect", "reconnect", "pause", "resume", "event"];

    /// <summary>A message type as a reason may name it: one of the protocol's, else not quoted (it could be anything, a card number).</summary>
    private static string Named(string type) => Array.IndexOf(Types, type) >= 0 ? $"'{type}'" : "of an unknown type";

    /// <summary>Why a message does not parse, never quoting it: exception messages quote the offending value.</summary>
    private static string Why(Exception e) => e switch
    {
        JsonException j => $"not JSON (line {j.LineNumber}, byte {j.BytePositionInLine})",
        FieldException f => f.Message,
        KeyNotFoundException => "type, id, seq or serverseq is missing",
        InvalidOperationException => "seq or serverseq is not a number, or the message is not an object",
        FormatException => "'position' is not an ISO 8601 duration",
        OverflowException => "a number is out of range",
        _ => "a field is malformed",
    };

    /// <summary>A string field of an object: null when absent or null; a value of another type is the message's fault.</summary>
    private static string? Text(JsonElement obj, string name) =>
        obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var v) ? null : v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Null => null,
            _ => throw new FieldException($"'{name}' is a {v.ValueKind}, not a string"),
        };

    /// <summary>
    /// A message's <c>discarded</c> span (none when absent). One that is not a duration, or is negative or absurd,
    /// would move the call's clock where no audio was: the session is disconnected with the reason, and null returned.
    /// </summary>
    private async Task<TimeSpan?> DiscardedAsync(string type, JsonElement parameters)
    {
        try
        {
            return parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("discarded", out var d)
                ? OnTimeline(XmlConvert.ToTimeSpan(d.GetString()!), "discarded")
                : TimeSpan.Zero;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or OverflowException)
        {
            await DisconnectAsync("error", $"'{type}': {(e is FieldException ? e.Message : "'discarded' is not an ISO 8601 duration")}: the call's clock cannot be kept").ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>A position or span as the call's clock takes it: from zero to <see cref="MaxTimeline"/>, else the message's fault.</summary>
    private static TimeSpan OnTimeline(TimeSpan value, string name) =>
        value >= TimeSpan.Zero && value <= MaxTimeline ? value : throw new FieldException($"'{name}' is {(value < TimeSpan.Zero ? "negative" : "past two days")}");

    private void CheckPosition(TimeSpan position)
    {
        var drift = position.TotalSeconds - ((_samples + _discardedSamples) / (double)Rate);
        if (Math.Abs(drift) > 1 && !_driftLogged)
        {
            _driftLogged = true;
            AudioHookLog.PositionDrift(log, sessionId, position.TotalSeconds, drift);
        }
    }

    private void Gap(DateTimeOffset from, DateTimeOffset to, string detail)
    {
        if (_call.Length > 0)
        {
            source.Emit(new SourceDisconnected([_call], from, "audio not sent", to) { Detail = detail });
        }
    }

    /// <summary>
    /// The first <see cref="QuarantineEach"/> bad frames of a session are kept one by one; the rest are counted
    /// and recorded as one frame when the session ends; past <see cref="HostileAfter"/> the session is disconnected.
    /// </summary>
    private void Quarantine(string raw, int length, string reason, DateTimeOffset now)
    {
        if (++_quarantined <= QuarantineEach)
        {
            source.Emit(new MalformedFrame(raw, length, "AudioHook: " + reason, now));
            return;
        }
        _unkept++;
        if (_quarantined == HostileAfter)
        {
            _ = DisconnectAsync("error", $"{HostileAfter} malformed frames: the session is not an AudioHook client in good order");
        }
    }

    private void QuarantineSummary(DateTimeOffset now)
    {
        if (_unkept > 0)
        {
            source.Emit(new MalformedFrame("", 0, $"AudioHook: session {sessionId} sent {_unkept} more malformed frames, counted and not kept one by one (the first {QuarantineEach} were)", now));
            _unkept = 0;
        }
    }

    /// <summary>
    /// The session's part of the call is over: a pause never resumed and a party never offered become gaps,
    /// each channel's last utterance is recognised, then the call is handed back to the source, which ends it
    /// (<paramref name="end"/>) or waits a moment for another session to continue it.
    /// </summary>
    private async Task FinishAsync(string reason, bool end)
    {
        var now = time.GetUtcNow();
        if (!end)
        {
            source.Detach(_call, this, reason, _base + _samples + _discardedSamples, now);
        }
        if (_paused)
        {
            _paused = false;
            Gap(_pausedAt, now, $"audio paused by Genesys for {(now - _pausedAt).TotalSeconds:F1} s (a secure flow withholds it on purpose) and never resumed: the session ended while paused");
        }
        if (_unheard.Length > 0)
        {
            Gap(_openedAt, now, _unheard);
        }
        var channels = _channels;
        _channels = [];
        try
        {
            Array.ForEach(channels, c => c.Flush());
            await Task.WhenAll(channels.Select(c => c.CompleteAsync())).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // a recognizer's fault at its end (a plug-in stream's Dispose threw): its last words are lost, the call is not left open
            AudioHookLog.SessionFailed(log, sessionId, e.GetType().Name);
        }
        finally
        {
            // always: with its idle end off, a held call that is never handed back stays open until the recorder stops
            source.Release(_call, this, reason, end, _base + _samples + _discardedSamples, time.GetUtcNow());
            _call = "";
        }
    }

    private async Task DisconnectAsync(string reason, string info)
    {
        if (_state is State.Disconnecting or State.Closed)
        {
            return;
        }
        AudioHookLog.ProtocolError(log, sessionId, info);
        _state = State.Disconnecting;
        _receiveCut.CancelAfter(CloseWait);
        try
        {
            await SendAsync("disconnect", w =>
            {
                w.WriteString("reason", reason);
                w.WriteString("info", info);
            }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            // the socket is gone already; the reader sees that
        }
    }

    /// <summary>One message out, numbered; sends are never concurrent.</summary>
    private async Task SendAsync(string type, Action<Utf8JsonWriter>? parameters)
    {
        await _send.WaitAsync().ConfigureAwait(false);
        try
        {
            _out.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(_out))
            {
                w.WriteStartObject();
                w.WriteString("version", "2");
                w.WriteString("id", sessionId);
                w.WriteString("type", type);
                w.WriteNumber("seq", ++_seq);
                w.WriteNumber("clientseq", _clientSeq);
                w.WriteStartObject("parameters");
                parameters?.Invoke(w);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            await ws.SendAsync(_out.WrittenMemory, WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _send.Release();
        }
    }
}

/// <summary>A message's field of the wrong JSON type; the message names the field, never its value.</summary>
internal sealed class FieldException(string message) : FormatException(message);
