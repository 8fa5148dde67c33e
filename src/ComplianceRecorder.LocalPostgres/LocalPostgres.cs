using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using ComplianceRecorder.EventStore.Provisioning;
using Npgsql;

namespace ComplianceRecorder.Development;

/// <summary>
/// A private PostgreSQL cluster made with initdb and run with pg_ctl, for machines with no server
/// and no Docker engine. Loopback only, scram-sha-256 passwords for everyone: the owner (the
/// <c>postgres</c> superuser, for migrations and rebuilds) and the recorder's restricted login, each
/// generated once and kept in a file of mode 0600 in the data folder. As root the server runs as the
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

    /// <summary>The owner's (superuser's) connection: migrations, rebuilds, tests that play an attacker.</summary>
    public string ConnectionString(string database = "postgres") => Connection("postgres", OwnerPasswordFile, database);

    /// <summary>The recorder's login: reads, and writes only through the store's functions.</summary>
    public string RecorderConnectionString(string database = "postgres") => Connection(RecorderRole.Name, RecorderPasswordFile, database);

    private string OwnerPasswordFile => OwnerPasswordFileOf(_dataDir);

    private string RecorderPasswordFile => _dataDir + ".recorder.password";

    // beside the data directory, not in it: written before initdb (which wants an empty folder), so a
    // first start cut short after initdb still finds the password it set; and not in a PGDATA backup
    private static string OwnerPasswordFileOf(string dataDir) => dataDir + ".owner.password";

    /// <summary>Password files that older versions kept inside the data directory move beside it.</summary>
    private static void MoveLegacyPasswordFiles(string dataDir)
    {
        foreach (var who in new[] { "owner", "recorder" })
        {
            var legacy = Path.Combine(dataDir, who + ".password");
            var beside = $"{dataDir}.{who}.password";
            if (File.Exists(legacy) && !File.Exists(beside))
            {
                File.Move(legacy, beside);
            }
        }
    }

    private string Connection(string user, string passwordFile, string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = user,
        Password = File.ReadAllText(passwordFile).Trim(),
        Database = database,
        Pooling = true,
        MaxPoolSize = 32,
    }.ConnectionString;

    /// <summary>Starts the cluster in <paramref name="dataDir"/>, creating it when missing, or reuses one already running there.</summary>
    /// <param name="stopOnDispose">A throwaway test cluster is stopped on dispose; the demo's keeps running between runs only while the program lives.</param>
    public static async Task<LocalPostgres> StartAsync(string dataDir, bool stopOnDispose, CancellationToken ct = default)
    {
        var bin = FindBinDirectory();
        dataDir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataDir));
        Directory.CreateDirectory(dataDir);
        MoveLegacyPasswordFiles(dataDir);
        if (RunningPort(dataDir) is { } running)
        {
            var reused = new LocalPostgres(dataDir, bin, running, ownsServer: false);
            await reused.SecureAsync(ct).ConfigureAwait(false);
            return reused;
        }
        if (!File.Exists(Path.Combine(dataDir, "PG_VERSION")))
        {
            await InitAsync(bin, dataDir, ct).ConfigureAwait(false);
        }
        var port = FreePort();
        var pg = new LocalPostgres(dataDir, bin, port, stopOnDispose);
        await pg.StartServerAsync(ct).ConfigureAwait(false);
        await pg.SecureAsync(ct).ConfigureAwait(false);
        return pg;
    }

    /// <summary>initdb with the owner's password from a file only the server user reads, removed at once.</summary>
    private static async Task InitAsync(string bin, string dataDir, CancellationToken ct)
    {
        GiveToServerUser(dataDir);
        var ownerFile = OwnerPasswordFileOf(dataDir);
        if (!File.Exists(ownerFile))
        {
            SecretFile.Write(ownerFile, NewPassword());
        }
        var password = File.ReadAllText(ownerFile).Trim();
        var pwfile = Path.Combine(Path.GetTempPath(), "cr-pw-" + Guid.NewGuid().ToString("N"));
        SecretFile.Write(pwfile, password);
        GiveToServerUser(pwfile);
        try
        {
            await RunAsync(bin, "initdb", ["-D", dataDir, "-U", "postgres", "-A", "scram-sha-256", "--pwfile", pwfile, "-E", "UTF8", "--no-locale", "--no-sync"], ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(pwfile);
        }
    }

    /// <summary>
    /// The owner's password set (a cluster made before passwords were: it trusted loopback), password
    /// authentication in force, and the recorder's login made with its own password.
    /// </summary>
    private async Task SecureAsync(CancellationToken ct)
    {
        if (!File.Exists(OwnerPasswordFile))
        {
            var password = NewPassword();
            await using (var trusted = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false"))
            {
                await trusted.OpenAsync(ct).ConfigureAwait(false);
                await using var cmd = new NpgsqlCommand($"ALTER ROLE postgres PASSWORD '{RecorderRole.ScramVerifier(password)}'", trusted);
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            SecretFile.Write(OwnerPasswordFile, password);
        }
        var hba = Path.Combine(_dataDir, "pg_hba.conf");
        const string PasswordsOnly = """
            # every connection proves a password (scram-sha-256); the server listens on loopback only
            local all all scram-sha-256
            host all all 127.0.0.1/32 scram-sha-256
            host all all ::1/128 scram-sha-256

            """;
        if (File.ReadAllText(hba) != PasswordsOnly)
        {
            await File.WriteAllTextAsync(hba, PasswordsOnly, ct).ConfigureAwait(false);
            await RunAsync(_binDir, "pg_ctl", ["-D", _dataDir, "reload"], ct).ConfigureAwait(false);
        }
        if (!File.Exists(RecorderPasswordFile))
        {
            SecretFile.Write(RecorderPasswordFile, NewPassword());
        }
        if (!await RecorderCanLogInAsync(ct).ConfigureAwait(false))
        {
            await RecorderRole.EnsureLoginAsync(ConnectionString(), File.ReadAllText(RecorderPasswordFile).Trim(), ct).ConfigureAwait(false);
        }
    }

    // a second process on a running cluster (a report while the demo runs) need not alter the role again
    private async Task<bool> RecorderCanLogInAsync(CancellationToken ct)
    {
        try
        {
            await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(RecorderConnectionString()) { Pooling = false }.ConnectionString);
            await conn.OpenAsync(ct).ConfigureAwait(false);
            return true;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            return false;
        }
    }

    // hex: nothing in it needs quoting in the SQL that sets it
    private static string NewPassword() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

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

    private static void GiveToServerUser(string path)
    {
        if (!IsRoot)
        {
            return;
        }
        using var p = Process.Start(new ProcessStartInfo("chown", ["-R", "postgres:postgres", path]) { UseShellExecute = false })!;
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
