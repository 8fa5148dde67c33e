using ComplianceRecorder.EventStore.Schema;
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
        Assert.Contains("001_schema.sql", e.Message, StringComparison.Ordinal);

        var owner = new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = name }.ConnectionString;
        await new StoreConnections(recorder, owner, null).MigrateAsync(db, TextWriter.Null);
        await new StoreConnections(recorder, null, null).MigrateAsync(db, TextWriter.Null);
    }

    internal static async Task<(PostgresServer.Server Server, string Name, string Owner)> FreshDatabaseAsync()
    {
        var server = await PostgresServer.GetAsync();
        var name = "t_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = NpgsqlDataSource.Create(server.AdminConnectionString))
        await using (var cmd = admin.CreateCommand($"CREATE DATABASE {name}"))
        {
            await cmd.ExecuteNonQueryAsync();
        }
        return (server, name, new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = name }.ConnectionString);
    }

    private static async Task ExecAsync(string connectionString, string sql)
    {
        await using var ds = NpgsqlDataSource.Create(connectionString);
        await using var cmd = ds.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task A_recorder_login_that_is_a_superuser_fails_the_start_naming_the_recorders_key()
    {
        var (_, _, owner) = await FreshDatabaseAsync();
        await using var asOwner = NpgsqlDataSource.Create(owner);

        var e = await Assert.ThrowsAsync<SettingsException>(() => new StoreConnections(owner, owner, null).MigrateAsync(asOwner, TextWriter.Null));

        Assert.StartsWith("ConnectionStrings:EventStore logs in as a role that is a superuser", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GRANT CREATE ON SCHEMA public TO compliance_recorder", "can CREATE in schema public")]
    [InlineData("GRANT INSERT ON events TO compliance_recorder", "holds INSERT on events")]
    [InlineData("GRANT DELETE ON audit_log TO compliance_recorder", "holds DELETE on audit_log")]
    [InlineData("GRANT TRUNCATE ON call_summaries TO compliance_recorder", "holds TRUNCATE on call_summaries")]
    // with these it could record a function file as applied, and a fix to it would never be
    [InlineData("GRANT UPDATE ON schema_functions TO compliance_recorder", "holds UPDATE on schema_functions")]
    [InlineData("GRANT INSERT ON schema_migrations TO compliance_recorder", "holds INSERT on schema_migrations")]
    public async Task A_recorder_role_granted_more_than_the_migrations_give_fails_the_start(string grant, string said)
    {
        var (server, name, owner) = await FreshDatabaseAsync();
        var recorder = server.RecorderConnectionString(name);
        await using var db = NpgsqlDataSource.Create(recorder);
        await new StoreConnections(recorder, owner, null).MigrateAsync(db, TextWriter.Null);

        await ExecAsync(owner, grant);

        var e = await Assert.ThrowsAsync<SettingsException>(() => new StoreConnections(recorder, null, null).MigrateAsync(db, TextWriter.Null));
        Assert.Contains(said, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("ConnectionStrings:EventStore ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrating_refuses_a_schema_where_the_recorders_role_can_create_through_another_role()
    {
        var (_, _, owner) = await FreshDatabaseAsync();
        var creator = "creator_" + Guid.NewGuid().ToString("N")[..8];
        await using var asOwner = NpgsqlDataSource.Create(owner);
        await ExecAsync(owner, $"CREATE ROLE {creator} NOLOGIN; GRANT CREATE ON SCHEMA public TO {creator}; GRANT {creator} TO compliance_recorder");
        try
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => Migrator.MigrateAsync(asOwner));

            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
            Assert.Contains("compliance_recorder can CREATE in schema public", e.MessageText, StringComparison.Ordinal);
        }
        finally
        {
            await ExecAsync(owner, $"REVOKE {creator} FROM compliance_recorder; REVOKE CREATE ON SCHEMA public FROM {creator}; DROP ROLE {creator}");
        }
    }

    [Fact]
    public async Task A_migration_changed_after_it_was_applied_fails_the_start_naming_it()
    {
        var (_, _, owner) = await FreshDatabaseAsync();
        await using var asOwner = NpgsqlDataSource.Create(owner);
        await Migrator.MigrateAsync(asOwner, [(1, "001_a.sql", "CREATE TABLE a (x integer)")]);

        var e = await Assert.ThrowsAnyAsync<Exception>(() => Migrator.MigrateAsync(asOwner, [(1, "001_a.sql", "CREATE TABLE a (y integer)")]));

        Assert.Contains("001_a.sql was changed after it was applied", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_schema_file_changed_after_it_was_applied_fails_the_start_naming_it()
    {
        var (_, _, owner) = await FreshDatabaseAsync();
        await using var asOwner = NpgsqlDataSource.Create(owner);
        var set = Migrator.Embedded();
        await Migrator.MigrateAsync(asOwner, set);
        var edited = set with { Versioned = [.. set.Versioned.Select(m => m.Version == 1 ? (m.Version, m.Name, m.Sql + "\n-- edited\n") : m)] };

        var e = await Assert.ThrowsAsync<MigrationException>(() => Migrator.MigrateAsync(asOwner, edited));

        Assert.Contains("migration 001_schema.sql was changed after it was applied", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_function_file_changed_since_it_was_applied_is_applied_again_and_the_others_are_not()
    {
        var (_, _, owner) = await FreshDatabaseAsync();
        await using var asOwner = NpgsqlDataSource.Create(owner);
        var set = Migrator.Embedded();
        Assert.Equal([.. set.Versioned.Select(m => m.Name), .. set.Functions.Select(f => f.Name)], await Migrator.MigrateAsync(asOwner, set));
        var changed = SchemaEquivalenceTests.WithFunction("functions/project_metrics.sql",
            sql => sql.Replace("IF NOT FOUND OR", "IF NOT FOUND  OR", StringComparison.Ordinal));

        Assert.Equal(["functions/project_metrics.sql"], await Migrator.MigrateAsync(asOwner, changed));
        Assert.Contains("IF NOT FOUND  OR", (string)(await asOwner.CreateCommand("SELECT prosrc FROM pg_proc WHERE proname = 'project_metrics'").ExecuteScalarAsync())!, StringComparison.Ordinal);
        Assert.Empty(await Migrator.MigrateAsync(asOwner, changed));
    }

    [Fact]
    public async Task An_older_build_refuses_a_function_file_a_newer_one_applied_and_leaves_it_as_it_is()
    {
        var (_, _, owner) = await FreshDatabaseAsync();
        await using var asOwner = NpgsqlDataSource.Create(owner);
        var older = Migrator.Embedded();
        await Migrator.MigrateAsync(asOwner, older);
        var newer = SchemaEquivalenceTests.WithFunction("functions/project_metrics.sql",
            sql => sql.Replace("IF NOT FOUND OR", "IF NOT FOUND  OR", StringComparison.Ordinal));
        Assert.Equal(["functions/project_metrics.sql"], await Migrator.MigrateAsync(asOwner, newer));

        var e = await Assert.ThrowsAsync<MigrationException>(() => Migrator.MigrateAsync(asOwner, older));

        Assert.Equal("functions/project_metrics.sql in this store was applied by a build this one does not know (a newer one?): run that build or a newer one", e.Message);
        Assert.Contains("IF NOT FOUND  OR", (string)(await asOwner.CreateCommand("SELECT prosrc FROM pg_proc WHERE proname = 'project_metrics'").ExecuteScalarAsync())!, StringComparison.Ordinal);
        // the recorder's login alone is refused the same way
        await Assert.ThrowsAsync<MigrationException>(() => Migrator.PendingAsync(asOwner, older));
        Assert.Empty(await Migrator.MigrateAsync(asOwner, newer));
    }

    [Fact]
    public async Task A_new_migration_numbered_below_an_applied_one_fails_the_start_naming_it()
    {
        var (_, _, owner) = await FreshDatabaseAsync();
        await using var asOwner = NpgsqlDataSource.Create(owner);
        await Migrator.MigrateAsync(asOwner, [(1, "001_a.sql", "CREATE TABLE a (x integer)"), (3, "003_c.sql", "CREATE TABLE c (x integer)")]);

        var e = await Assert.ThrowsAnyAsync<Exception>(() => Migrator.MigrateAsync(asOwner,
            [(1, "001_a.sql", "CREATE TABLE a (x integer)"), (2, "002_b.sql", "CREATE TABLE b (x integer)"), (3, "003_c.sql", "CREATE TABLE c (x integer)")]));

        Assert.Contains("002_b.sql is not applied but numbered below 3", e.Message, StringComparison.Ordinal);
        Assert.Equal(0L, (long)(await asOwner.CreateCommand("SELECT count(*) FROM pg_tables WHERE tablename = 'b'").ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_store_migrated_by_a_newer_build_fails_the_start_of_an_older_one_naming_the_migration()
    {
        var (_, _, owner) = await FreshDatabaseAsync();
        await using var asOwner = NpgsqlDataSource.Create(owner);
        await Migrator.MigrateAsync(asOwner, [(1, "001_a.sql", "CREATE TABLE a (x integer)"), (2, "002_b.sql", "CREATE TABLE b (x integer)")]);

        var e = await Assert.ThrowsAnyAsync<Exception>(() => Migrator.MigrateAsync(asOwner, [(1, "001_a.sql", "CREATE TABLE a (x integer)")]));

        Assert.Contains("migration 002 applied, which this build does not know", e.Message, StringComparison.Ordinal);
    }
}
