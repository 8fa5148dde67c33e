using ComplianceRecorder.Development;
using Npgsql;

namespace ComplianceRecorder.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server of a test's own, for tests that stop or crash it: the shared server must stay
/// up for everyone else. Its folder carries the prefix the suite sweeps, should a run die first.
/// </summary>
public sealed class PrivateCluster : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cr-test-pg-" + Guid.NewGuid().ToString("N")[..8]);

    public LocalPostgres Server { get; private set; } = null!;

    /// <summary>The owner's (superuser's) connection: migrations, and reading what the recorder left.</summary>
    public string ConnectionString => Server.ConnectionString();

    /// <summary>The recorder's login. Fails fast while the server is down, so outages show within seconds.</summary>
    public string ImpatientConnectionString => new NpgsqlConnectionStringBuilder(Server.RecorderConnectionString()) { Timeout = 2, CommandTimeout = 5 }.ConnectionString;

    /// <summary>Where the cluster's data lies; its password files lie beside it, inside the folder removed afterwards.</summary>
    public string DataDirectory => Path.Combine(_dir, "data");

    public async Task InitializeAsync() => Server = await LocalPostgres.StartAsync(DataDirectory, stopOnDispose: true);

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the next run's sweep removes it
        }
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var db = NpgsqlDataSource.Create(ConnectionString);
        await using var cmd = db.CreateCommand(sql);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
