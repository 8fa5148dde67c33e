using System.Net;
using System.Net.Sockets;

namespace ComplianceRecorder.Tests.Infrastructure;

/// <summary>
/// A loopback TCP relay in front of a real server, which a test can cut (every connection reset, new
/// ones refused) and restore on the same port: the database going away and coming back, for real. Or cut
/// silently, as a network that drops packets does: open connections stay open and carry nothing more.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly List<TcpClient> _open = [];
    private readonly Lock _gate = new();
    private TcpListener? _listener;
    private CancellationTokenSource _cts = new();
    private byte[]? _marker;
    private TaskCompletionSource? _silenced;
    private volatile bool _silent;

    public TcpProxy(string host, int port)
    {
        _target = new IPEndPoint(IPAddress.Parse(host == "localhost" ? "127.0.0.1" : host), port);
        Port = Start(0);
    }

    public int Port { get; }

    public void Cut()
    {
        lock (_gate)
        {
            _cts.Cancel();
            _listener?.Stop();
            _listener = null;
            foreach (var c in _open)
            {
                c.Client.LingerState = new LingerOption(true, 0);
                c.Dispose();
            }
            _open.Clear();
        }
    }

    /// <summary>
    /// Arms a silent cut at the first bytes a client sends that hold <paramref name="marker"/>: what comes before
    /// the marker in that read still reaches the server, the rest and everything after it never does, in either
    /// direction, on any connection; new connections are refused. A statement cut off mid-way that way never
    /// ends on the server, as over a network gone quiet. The task completes once the relay has gone silent.
    /// </summary>
    public Task CutSilentlyAt(string marker)
    {
        lock (_gate)
        {
            _silenced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _marker = System.Text.Encoding.UTF8.GetBytes(marker);
            return _silenced.Task;
        }
    }

    /// <summary>Resets what a cut left open (a silent cut's connections too) and accepts connections again.</summary>
    public void Restore()
    {
        lock (_gate)
        {
            if (_silent)
            {
                Cut();
                _silent = false;
            }
            _cts = new CancellationTokenSource();
            Start(Port);
        }
    }

    private int Start(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _listener = listener;
        var ct = _cts.Token;
        _ = Task.Run(async () =>
        {
            while (!ct.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(ct);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }
                var upstream = new TcpClient();
                try
                {
                    await upstream.ConnectAsync(_target, ct);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException)
                {
                    client.Dispose();
                    upstream.Dispose();
                    continue;
                }
                lock (_gate)
                {
                    _open.Add(client);
                    _open.Add(upstream);
                }
                _ = Pump(client.GetStream(), upstream.GetStream(), upstreamBound: true, ct);
                _ = Pump(upstream.GetStream(), client.GetStream(), upstreamBound: false, ct);
            }
        }, ct);
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task Pump(NetworkStream from, NetworkStream to, bool upstreamBound, CancellationToken ct)
    {
        var buffer = new byte[81920];
        try
        {
            while (await from.ReadAsync(buffer, ct) is var n and > 0)
            {
                var count = upstreamBound ? Forwardable(buffer.AsSpan(0, n)) : _silent ? 0 : n;
                if (count > 0)
                {
                    await to.WriteAsync(buffer.AsMemory(0, count), ct);
                }
                if (_silent)
                {
                    // gone quiet: the connection stays open until a cut or a restore resets it
                    await Task.Delay(Timeout.Infinite, ct);
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    /// <summary>How much of a client's read goes on to the server: all of it, or (silent) none, or what precedes the armed marker.</summary>
    private int Forwardable(ReadOnlySpan<byte> read)
    {
        lock (_gate)
        {
            if (_silent)
            {
                return 0;
            }
            var at = _marker is null ? -1 : read.IndexOf(_marker);
            if (at < 0)
            {
                return read.Length;
            }
            _silent = true;
            _marker = null;
            _listener?.Stop();
            _listener = null;
            _silenced!.TrySetResult();
            return at;
        }
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        return ValueTask.CompletedTask;
    }
}
