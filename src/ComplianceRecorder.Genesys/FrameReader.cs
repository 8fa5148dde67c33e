using System.Net.WebSockets;
using System.Text;
using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Genesys;

/// <summary>What the socket gave: a whole text frame, a frame to quarantine, or the end with its reason.</summary>
internal readonly record struct Frame(string? Text, MalformedFrame? Bad, bool Closed, WebSocketCloseStatus? Status, string? Reason);

/// <summary>
/// Reassembles text frames from a socket for either dialect. A frame over 1 MiB keeps only its start,
/// for the quarantine (the rest is counted, not held); one that is not UTF-8 is quarantined too.
/// </summary>
internal sealed class FrameReader(WebSocket ws, TimeProvider time)
{
    private const int MaxFrameBytes = 1024 * 1024;
    private const int RawCap = 8192;

    // throws on invalid UTF-8, so such a frame is quarantined rather than silently repaired
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly MemoryStream _message = new();

    public async Task<Frame> NextAsync(CancellationToken ct)
    {
        long total = 0;
        _message.SetLength(0);
        while (true)
        {
            WebSocketReceiveResult r;
            try
            {
                r = await ws.ReceiveAsync(_buffer, ct).ConfigureAwait(false);
            }
            catch (WebSocketException e)
            {
                return new Frame(null, null, true, null, "socket dropped: " + e.WebSocketErrorCode);
            }
            if (r.MessageType == WebSocketMessageType.Close)
            {
                return new Frame(null, null, true, r.CloseStatus, $"closed {(int?)r.CloseStatus} {r.CloseStatusDescription}");
            }
            total += r.Count;
            var room = (int)Math.Max(0, MaxFrameBytes - _message.Length);
            _message.Write(_buffer, 0, Math.Min(room, r.Count));
            if (r.EndOfMessage)
            {
                break;
            }
        }
        var bytes = _message.GetBuffer().AsSpan(0, (int)_message.Length);
        if (total > MaxFrameBytes)
        {
            var start = Encoding.UTF8.GetString(bytes[..Math.Min(RawCap, bytes.Length)]);
            return new Frame(null, new MalformedFrame(start, (int)Math.Min(int.MaxValue, total), $"frame of {total} bytes is over the {MaxFrameBytes / 1024} KiB limit", time.GetUtcNow()), false, null, null);
        }
        try
        {
            return new Frame(StrictUtf8.GetString(bytes), null, false, null, null);
        }
        catch (DecoderFallbackException)
        {
            var text = Encoding.UTF8.GetString(bytes);
            return new Frame(null, new MalformedFrame(text.Length > RawCap ? text[..RawCap] : text, text.Length, "invalid UTF-8", time.GetUtcNow()), false, null, null);
        }
    }
}

/// <summary>
/// Stopping closes the socket with a close frame (1001, going away) rather than dropping it. A
/// cancelled receive would abort the socket, so receives wait on <see cref="Receive"/>: it ends a
/// moment after the stop, once the peer has had the chance to answer the close.
/// </summary>
internal sealed class ClosingOnStop : IDisposable
{
    private static readonly TimeSpan AnswerWithin = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _receive = new();
    private readonly CancellationTokenRegistration _registration;

    public ClosingOnStop(WebSocket ws, CancellationToken stop) => _registration = stop.Register(() =>
    {
        try
        {
            ws.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "recorder stopping", CancellationToken.None)
                .ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
        catch (Exception e) when (e is WebSocketException or InvalidOperationException or ObjectDisposedException)
        {
            // already closing or gone: nothing left to close
        }
        _receive.CancelAfter(AnswerWithin);
    });

    public CancellationToken Receive => _receive.Token;

    public void Dispose()
    {
        _registration.Dispose();
        _receive.Dispose();
    }
}
