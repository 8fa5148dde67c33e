using System.Net;
using System.Net.Sockets;

namespace ComplianceRecorder.Tests.Infrastructure;

/// <summary>
/// A loopback TCP relay in front of a real server, which a test can cut (every connection reset, new
/// ones refused) and restore on the same port: the database going away and coming back, for real.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly List<TcpClient> _open = [];
    private readonly Lock _gate = new();
    private TcpListener? _listener;
    private CancellationTokenSource _cts = new();

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

    public void Restore()
    {
        lock (_gate)
        {
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
                _ = Pump(client.GetStream(), upstream.GetStream(), ct);
                _ = Pump(upstream.GetStream(), client.GetStream(), ct);
            }
        }, ct);
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task Pump(NetworkStream from, NetworkStream to, CancellationToken ct)
    {
        try
        {
            await from.CopyToAsync(to, ct);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        return ValueTask.CompletedTask;
    }
}
