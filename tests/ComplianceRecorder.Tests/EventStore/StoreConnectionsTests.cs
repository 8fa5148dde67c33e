using ComplianceRecorder.Tests.Infrastructure;
using Npgsql;

namespace ComplianceRecorder.Tests.EventStore;

public sealed class StoreConnectionsTests
{
    [Fact]
    public async Task Without_the_owners_connection_a_schema_that_lacks_migrations_fails_the_start_naming_the_key()
    {
        var server = await PostgresServer.GetAsync();
        var name = "t_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = NpgsqlDataSource.Create(server.AdminConnectionString))
        await using (var cmd = admin.CreateCommand($"CREATE DATABASE {name}"))
        {
            await cmd.ExecuteNonQueryAsync();
        }
        var recorder = server.RecorderConnectionString(name);
        await using var db = NpgsqlDataSource.Create(recorder);

        var e = await Assert.ThrowsAsync<SettingsException>(() => new StoreConnections(recorder, null, null).MigrateAsync(db, TextWriter.Null));
        Assert.Contains("ConnectionStrings:EventStoreOwner", e.Message, StringComparison.Ordinal);
        Assert.Contains("006_roles_and_checkpoints.sql", e.Message, StringComparison.Ordinal);

        var owner = new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = name }.ConnectionString;
        await new StoreConnections(recorder, owner, null).MigrateAsync(db, TextWriter.Null);
        await new StoreConnections(recorder, null, null).MigrateAsync(db, TextWriter.Null);
    }
}
