using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ComplianceRecorder.EventStore.Provisioning;

/// <summary>
/// A private PostgreSQL cluster made with initdb and run with pg_ctl, for machines with no server
/// and no Docker engine. Trust authentication on loopback only; as root the server runs as the
/// <c>postgres</c> user, since PostgreSQL refuses to run as root.
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    private readonly string _dataDir;
    private readonly string _binDir;
    private readonly bool _ownsServer;

    private LocalPostgres(string dataDir, string binDir, int port, bool ownsServer)
    {
        _dataDir = dataDir;
        _binDir = binDir;
        Port = port;
        _ownsServer = ownsServer;
    }

    public int Port { get; }

    public string DataDirectory => _dataDir;

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=32";

    /// <summary>Starts the cluster in <paramref name="dataDir"/>, creating it when missing, or reuses one already running there.</summary>
    /// <param name="stopOnDispose">A throwaway test cluster is stopped on dispose; the demo's keeps running between runs only while the program lives.</param>
    public static async Task<LocalPostgres> StartAsync(string dataDir, bool stopOnDispose, CancellationToken ct = default)
    {
        var bin = FindBinDirectory();
        dataDir = Path.GetFullPath(dataDir);
        Directory.CreateDirectory(dataDir);
        if (RunningPort(dataDir) is { } running)
        {
            return new LocalPostgres(dataDir, bin, running, ownsServer: false);
        }
        if (!File.Exists(Path.Combine(dataDir, "PG_VERSION")))
        {
            GiveToServerUser(dataDir);
            await RunAsync(bin, "initdb", ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"], ct).ConfigureAwait(false);
        }
        var port = FreePort();
        var pg = new LocalPostgres(dataDir, bin, port, stopOnDispose);
        await pg.StartServerAsync(ct).ConfigureAwait(false);
        return pg;
    }

    public async Task StopAsync()
    {
        await RunAsync(_binDir, "pg_ctl", ["-D", _dataDir, "-m", "fast", "-w", "stop"], CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Stops the server abruptly (immediate mode), as a crash or a pulled plug would.</summary>
    public Task KillAsync() => RunAsync(_binDir, "pg_ctl", ["-D", _dataDir, "-m", "immediate", "-w", "stop"], CancellationToken.None);

    /// <summary>Starts a stopped server again on the same port.</summary>
    public Task RestartAsync() => StartServerAsync(CancellationToken.None);

    private Task StartServerAsync(CancellationToken ct) => RunAsync(_binDir, "pg_ctl", ["-D", _dataDir, "-l", Path.Combine(_dataDir, "server.log"), "-w", "-t", "60", "-o",
        $"-p {Port} -c listen_addresses=127.0.0.1 -k {_dataDir} -c max_connections=200 -c shared_buffers=256MB", "start"], ct);

    public async ValueTask DisposeAsync()
    {
        if (_ownsServer)
        {
            await StopAsync().ConfigureAwait(false);
        }
    }

    private static int? RunningPort(string dataDir)
    {
        var pidFile = Path.Combine(dataDir, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return null;
        }
        var lines = File.ReadAllLines(pidFile);
        if (lines.Length < 4 || !int.TryParse(lines[0], CultureInfo.InvariantCulture, out var pid) || !int.TryParse(lines[3], CultureInfo.InvariantCulture, out var port))
        {
            return null;
        }
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.HasExited ? null : port;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string FindBinDirectory()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            foreach (var dir in Directory.GetDirectories("/usr/lib/postgresql").OrderDescending())
            {
                var bin = Path.Combine(dir, "bin");
                if (File.Exists(Path.Combine(bin, "initdb")))
                {
                    return bin;
                }
            }
        }
        throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql. " +
            "Install them (Debian: apt-get install postgresql) or set ConnectionStrings:EventStore.");
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static void GiveToServerUser(string dir)
    {
        if (!IsRoot)
        {
            return;
        }
        using var p = Process.Start(new ProcessStartInfo("chown", ["-R", "postgres:postgres", dir]) { UseShellExecute = false })!;
        p.WaitForExit();
    }

    private static async Task RunAsync(string bin, string tool, string[] args, CancellationToken ct)
    {
        var exe = Path.Combine(bin, tool);
        var psi = IsRoot ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", exe, .. args]) : new ProcessStartInfo(exe, args);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} failed ({p.ExitCode}): {await stderr.ConfigureAwait(false)}{await stdout.ConfigureAwait(false)}");
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
