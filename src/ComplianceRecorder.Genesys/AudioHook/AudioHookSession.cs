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
internal sealed class AudioHookSession(WebSocket ws, string sessionId, string? organizationHeader, AudioHookOptions options,
    ISpeechRecognizer recognizer, Action<SourceEvent> emit, TimeProvider time, ILogger log)
{
    public const int Rate = 8000;

    private const int MaxText = 65_536;
    private const int MaxBinary = 1024 * 1024;
    private const int RawCap = 8192;
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);

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
    private DateTimeOffset _pausedAt;
    private bool _driftLogged;

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
            ended = "no close within the time allowed after disconnect";
            ws.Abort();
        }
        if (_state is State.Open or State.Paused or State.Disconnecting && _call.Length > 0)
        {
            // Genesys does not re-establish a session: what is said from here on is not heard
            AudioHookLog.Dropped(log, sessionId, _call, ended ?? "");
            await FinishAsync($"the AudioHook session ended without a close ({ended}): the rest of the call was not heard").ConfigureAwait(false);
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
            var r = await ws.ReceiveAsync(room, _receiveCut.Token).ConfigureAwait(false);
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
        var at = _samples + _discardedSamples;
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
            type = root.GetProperty("type").GetString() ?? throw new FormatException("type is null");
            seq = root.GetProperty("seq").GetInt64();
            serverSeq = root.GetProperty("serverseq").GetInt64();
            id = root.GetProperty("id").GetString() ?? throw new FormatException("id is null");
            if (root.TryGetProperty("position", out var position))
            {
                CheckPosition(XmlConvert.ToTimeSpan(position.GetString()!));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            var text = Encoding.UTF8.GetString(_in, 0, Math.Min(length, RawCap));
            Quarantine(text, length, "not an AudioHook message: " + e.GetType().Name + ": " + e.Message, now);
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
            var parameters = doc.RootElement.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
            switch (type)
            {
                case "open" when _state == State.AwaitingOpen:
                    await OnOpenAsync(parameters).ConfigureAwait(false);
                    break;
                case "ping":
                    await SendAsync("pong", null).ConfigureAwait(false);
                    break;
                case "paused" when _state == State.Open:
                    _state = State.Paused;
                    _pausedAt = now;
                    Array.ForEach(_channels, c => c.Flush());
                    break;
                case "resumed" when _state == State.Paused:
                    _state = State.Open;
                    var discarded = Duration(parameters, "discarded");
                    _discardedSamples += (long)(discarded.TotalSeconds * Rate);
                    Gap(_pausedAt, now, $"audio paused by Genesys for {(now - _pausedAt).TotalSeconds:F1} s (a secure flow withholds it on purpose); {discarded.TotalSeconds:F1} s not sent");
                    break;
                case "discarded":
                    var span = Duration(parameters, "discarded");
                    _discardedSamples += (long)(span.TotalSeconds * Rate);
                    Array.ForEach(_channels, c => c.Flush());
                    Gap(now - span, now, $"{span.TotalSeconds:F1} s of audio discarded by Genesys, not sent");
                    break;
                case "update":
                    break;
                case "error":
                    AudioHookLog.ClientError(log, sessionId, parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("code", out var code) && code.TryGetInt32(out var c) ? c : 0,
                        parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("message", out var m) && m.GetString() is { } s ? s[..Math.Min(s.Length, 200)] : "");
                    break;
                case "close" when _state is not State.Closed:
                    var wasOpen = _state is not State.AwaitingOpen;
                    _state = State.Closed;
                    await SendAsync("closed", null).ConfigureAwait(false);
                    var reason = parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("reason", out var r) ? r.GetString() ?? "" : "";
                    if (wasOpen && _call.Length > 0)
                    {
                        AudioHookLog.Closed(log, sessionId, _call, reason);
                        await FinishAsync($"the AudioHook session closed ({reason[..Math.Min(reason.Length, 40)]})").ConfigureAwait(false);
                    }
                    break;
                default:
                    Quarantine(Encoding.UTF8.GetString(_in, 0, Math.Min(length, RawCap)), length, $"unexpected message '{type[..Math.Min(type.Length, 40)]}' in state {_state}", now);
                    break;
            }
        }
    }

    private async Task OnOpenAsync(JsonElement parameters)
    {
        var started = Stopwatch.GetTimestamp();
        string org;
        string call;
        try
        {
            org = parameters.GetProperty("organizationId").GetString() ?? throw new InvalidOperationException("organizationId is null");
            call = parameters.GetProperty("conversationId").GetString() ?? throw new InvalidOperationException("conversationId is null");
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
        {
            await DisconnectAsync("error", "open without organizationId or conversationId").ConfigureAwait(false);
            return;
        }
        if (organizationHeader is not null && !string.Equals(org, organizationHeader, StringComparison.OrdinalIgnoreCase))
        {
            await DisconnectAsync("unauthorized", "open's organizationId is not the upgrade's").ConfigureAwait(false);
            return;
        }
        var offer = ChooseMedia(parameters);
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
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (Guid.TryParse(call, out var g) && g == Guid.Empty)
        {
            AudioHookLog.Probe(log, sessionId);
            return;
        }
        _call = call;
        if (offer is { } chosen)
        {
            _names = [.. chosen.GetProperty("channels").EnumerateArray().Select(c => c.GetString() == "internal" ? "INTERNAL" : "EXTERNAL")];
            var language = parameters.TryGetProperty("language", out var l) && l.GetString() is { Length: > 0 } lang ? lang : "en-US";
            var context = new SessionContext(sessionId, call, language, recognizer, emit, time, log);
            _channels = [.. _names.Select(n => new ChannelTranscriber(context, n, options.MaxBacklog))];
        }
        AudioHookLog.Opened(log, sessionId, call, string.Join('+', _names), ms);
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
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("format", out var f) || f.GetString() != "PCMU"
                || !m.TryGetProperty("rate", out var r) || !r.TryGetInt32(out var rate) || rate != Rate
                || !m.TryGetProperty("channels", out var ch) || ch.ValueKind != JsonValueKind.Array)
            {
                continue;
            }
            var names = ch.EnumerateArray().Select(c => c.GetString()).ToList();
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

    private static TimeSpan Duration(JsonElement parameters, string name)
    {
        try
        {
            return parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out var d) ? XmlConvert.ToTimeSpan(d.GetString()!) : TimeSpan.Zero;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or OverflowException)
        {
            return TimeSpan.Zero;
        }
    }

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
            emit(new SourceDisconnected([_call], from, "audio not sent", to) { Detail = detail });
        }
    }

    private void Quarantine(string raw, int length, string reason, DateTimeOffset now) => emit(new MalformedFrame(raw, length, "AudioHook: " + reason, now));

    /// <summary>Each channel's last utterance is recognised, then the call is reported finished after its last words.</summary>
    private async Task FinishAsync(string reason)
    {
        var channels = _channels;
        _channels = [];
        Array.ForEach(channels, c => c.Flush());
        await Task.WhenAll(channels.Select(c => c.CompleteAsync())).ConfigureAwait(false);
        emit(new CallFinished(_call, reason, time.GetUtcNow()));
        _call = "";
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
