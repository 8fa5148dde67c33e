using ComplianceRecorder.Development;
using ComplianceRecorder.EventStore.Provisioning;
using ComplianceRecorder.EventStore.Schema;
using Npgsql;
using Testcontainers.PostgreSql;

namespace ComplianceRecorder.Tests.Infrastructure;

/// <summary>
/// The one real PostgreSQL server the whole suite shares, found in this order: the connection string
/// in COMPLIANCE_RECORDER_TEST_PG; a Testcontainers container when a Docker engine answers; otherwise
/// a throwaway cluster made with initdb in a temp folder (password authentication), stopped and
/// deleted when the run ends. The admin connection plays the schema's owner; the recorder's restricted
/// role is given a login on it once.
/// </summary>
internal static class PostgresServer
{
    public const string EnvironmentVariable = "COMPLIANCE_RECORDER_TEST_PG";

    private static readonly Lazy<Task<Server>> Instance = new(StartAsync);

    public sealed record Server(string AdminConnectionString, string RecorderPassword, LocalPostgres? Local)
    {
        /// <summary>The recorder's login on <paramref name="database"/>, as the recorder itself connects.</summary>
        public string RecorderConnectionString(string database) => new NpgsqlConnectionStringBuilder(AdminConnectionString)
        {
            Database = database,
            Username = RecorderRole.Name,
            Password = RecorderPassword,
        }.ConnectionString;
    }

    public static Task<Server> GetAsync() => Instance.Value;

    private static async Task<Server> StartAsync()
    {
        var server = await StartServerAsync();
        await RecorderRole.EnsureLoginAsync(server.AdminConnectionString, server.RecorderPassword);
        return server;
    }

    // the same password for the same server, so runs sharing one (COMPLIANCE_RECORDER_TEST_PG) agree on it
    private static string RecorderPasswordFor(string adminConnectionString) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("recorder:" + adminConnectionString)))[..32];

    private static async Task<Server> StartServerAsync()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } cs)
        {
            return new Server(cs, RecorderPasswordFor(cs), null);
        }
        if (DockerAnswers())
        {
            var container = new PostgreSqlBuilder("postgres:15").Build();
            await container.StartAsync();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return new Server(container.GetConnectionString(), RecorderPasswordFor(container.GetConnectionString()), null);
        }
        SweepStaleClusters();
        var dir = Path.Combine(Path.GetTempPath(), "cr-test-pg-" + Guid.NewGuid().ToString("N")[..8]);
        // the cluster's password files lie beside its data directory: both inside the folder removed afterwards
        var pg = await LocalPostgres.StartAsync(Path.Combine(dir, "data"), stopOnDispose: true);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            pg.DisposeAsync().AsTask().GetAwaiter().GetResult();
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a leftover temp folder is harmless; the server itself is already stopped
            }
        };
        return new Server(pg.ConnectionString(), RecorderPasswordFor(pg.ConnectionString()), pg);
    }

    /// <summary>
    /// The test host may be ended before its exit handler has removed its cluster's folder; the next run
    /// removes every such folder whose server is no longer running.
    /// </summary>
    private static void SweepStaleClusters()
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), "cr-test-pg-*"))
        {
            var pidFile = Path.Combine(dir, "data", "postmaster.pid");
            try
            {
                // a folder touched lately may be a cluster of this or another run that is still being made
                // (initdb, no pid yet) or is stopped on purpose (the outage tests): leave it
                if (Directory.GetLastWriteTimeUtc(dir) > DateTime.UtcNow.AddMinutes(-30))
                {
                    continue;
                }
                if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).First(), out var pid) && Alive(pid))
                {
                    continue;
                }
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // another run's cluster, still starting or stopping: its own run will see to it
            }
        }
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool DockerAnswers()
    {
        if (!File.Exists("/var/run/docker.sock") && Environment.GetEnvironmentVariable("DOCKER_HOST") is null)
        {
            return false;
        }
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                    await s.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint("/var/run/docker.sock"), ct);
                    return new System.Net.Sockets.NetworkStream(s, ownsSocket: true);
                },
            })
            { Timeout = TimeSpan.FromSeconds(2) };
            return http.GetAsync(new Uri("http://docker/_ping")).GetAwaiter().GetResult().IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or System.Net.Sockets.SocketException or TaskCanceledException or IOException)
        {
            return false;
        }
    }
}

/// <summary>
/// A database of its own for one test class, migrated by the owner, so classes run in parallel without
/// sharing state. <see cref="DataSource"/> logs in as the recorder does (its restricted role);
/// <see cref="OwnerDataSource"/> is for what only the owner does: migrations, rebuilds, and tests that
/// play someone editing the store behind the recorder's back.
/// </summary>
public sealed class Database : IAsyncLifetime
{
    private NpgsqlDataSource? _source;
    private NpgsqlDataSource? _owner;

    /// <summary>The recorder's login.</summary>
    public string ConnectionString { get; private set; } = "";

    public string OwnerConnectionString { get; private set; } = "";

    public string Name { get; } = "t_" + Guid.NewGuid().ToString("N")[..12];

    public NpgsqlDataSource DataSource => _source ?? throw new InvalidOperationException("not started");

    public NpgsqlDataSource OwnerDataSource => _owner ?? throw new InvalidOperationException("not started");

    internal PostgresServer.Server Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await PostgresServer.GetAsync();
        await using (var admin = NpgsqlDataSource.Create(Server.AdminConnectionString))
        await using (var cmd = admin.CreateCommand($"CREATE DATABASE {Name}"))
        {
            await cmd.ExecuteNonQueryAsync();
        }
        OwnerConnectionString = new NpgsqlConnectionStringBuilder(Server.AdminConnectionString) { Database = Name }.ConnectionString;
        ConnectionString = Server.RecorderConnectionString(Name);
        _owner = NpgsqlDataSource.Create(OwnerConnectionString);
        await Migrator.MigrateAsync(_owner);
        _source = NpgsqlDataSource.Create(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_source is not null)
        {
            await _source.DisposeAsync();
        }
        if (_owner is not null)
        {
            await _owner.DisposeAsync();
        }
    }

    /// <summary>An event store on this database, appending as <paramref name="writer"/>.</summary>
    public global::ComplianceRecorder.EventStore.Appending.EventStore Store(string writer = "test") => new(DataSource, writer, Heads);

    /// <summary>An event store that seals transcript text with each call's data key, as the recorder's does.</summary>
    public global::ComplianceRecorder.EventStore.Appending.EventStore SealingStore(string writer = "test") => new(DataSource, writer, Heads, Keys);

    /// <summary>A master key made for this database alone.</summary>
    public byte[] MasterKey { get; } = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    public global::ComplianceRecorder.EventStore.Encryption.LocalMasterKeys MasterKeys => field ??= new(MasterKey);

    public global::ComplianceRecorder.EventStore.Encryption.DataKeys Keys => field ??= new(DataSource, MasterKeys);

    public global::ComplianceRecorder.EventStore.Encryption.StoredText Text => field ??= new(DataSource, MasterKeys);

    /// <summary>The heads this fixture's stores appended, as a recorder keeps them for its signer.</summary>
    public global::ComplianceRecorder.EventStore.Verification.AppendedHeads Heads { get; } = new();

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
