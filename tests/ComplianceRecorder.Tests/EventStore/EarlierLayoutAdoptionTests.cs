using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Schema;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Pipeline.Events;
using Npgsql;

namespace ComplianceRecorder.Tests.EventStore;

/// <summary>
/// Every store made before the current-state layout (installs, the demo's .data cluster) holds the history
/// 001_events.sql … 007_integrity.sql: this build adopts it without running table DDL again.
/// </summary>
public sealed class EarlierLayoutAdoptionTests
{
    private static readonly byte[] Secret = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    // the catalog rows of the store's tables change with any DDL or GRANT on them; the migrator's own two are left
    // out, and so are the tables later numbered files make (003_retention.sql's data_keys), which adoption applies
    private const string TablesTouched =
        "SELECT sum(xmin::text::bigint)::bigint FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname NOT IN ('schema_migrations', 'schema_functions', 'data_keys', 'recorder_instances', 'call_leases')";

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql) => (long)(await db.CreateCommand(sql).ExecuteScalarAsync())!;

    [Fact]
    public async Task A_store_of_the_earlier_layout_is_adopted_without_running_it_again_and_goes_on_recording()
    {
        var owner = await SchemaEquivalenceTests.EarlierStoreAsync();
        var server = await Infrastructure.PostgresServer.GetAsync();
        var recorderCs = server.RecorderConnectionString(new NpgsqlConnectionStringBuilder(owner).Database!);
        await using var recorder = NpgsqlDataSource.Create(recorderCs);
        await using var asOwner = NpgsqlDataSource.Create(owner);
        var heads = new AppendedHeads();
        var call = "call-" + Guid.NewGuid();
        await new global::ComplianceRecorder.EventStore.Appending.EventStore(recorder, "before", heads).AppendAsync([
            new PendingEvent(new CallStarted(call, "notifications", DateTimeOffset.UnixEpoch)),
            new PendingEvent(EventStoreTests.Segment(call, "u1", 1, true)),
        ]);
        await ChainCheckpoints.SignAsync(recorder, CheckpointKey.FromSecret(Secret), heads);
        var eventsBefore = await CountAsync(asOwner, "SELECT count(*) FROM events");
        var tablesBefore = await CountAsync(asOwner, TablesTouched);

        // the recorder's login alone finds nothing of the baseline to do: the earlier layout already made it
        Assert.Equal(SchemaEquivalenceTests.LaterVersioned(), (await Migrator.PendingAsync(recorder)).Where(p => !p.StartsWith("functions/", StringComparison.Ordinal)));
        var applied = await Migrator.MigrateAsync(asOwner);

        Assert.Equal(["001_schema.sql (adopted: the earlier 001_events.sql … 007_integrity.sql, not run again)", .. SchemaEquivalenceTests.LaterVersioned(), .. Migrator.Embedded().Functions.Select(f => f.Name)], applied);
        Assert.Equal(tablesBefore, await CountAsync(asOwner, TablesTouched));
        Assert.Equal(string.Join(", ", Migrator.Embedded().Versioned.Select(v => $"{v.Version} {v.Name}")), (string)(await asOwner.CreateCommand("SELECT string_agg(version || ' ' || name, ', ') FROM schema_migrations").ExecuteScalarAsync())!);
        var adopted = await SchemaSnapshot.TakeAsync(owner);
        var fresh = await SchemaSnapshot.TakeAsync(await SchemaEquivalenceTests.CurrentStoreAsync());
        var differences = SchemaSnapshot.Differences(adopted, "adopted", fresh, "fresh");
        Assert.True(differences.Count == 0, string.Join("\n", differences));
        Assert.Empty(await Migrator.MigrateAsync(asOwner));
        Assert.Empty(await Migrator.PendingAsync(recorder));

        await new global::ComplianceRecorder.EventStore.Appending.EventStore(recorder, "after", heads).AppendAsync([
            new PendingEvent(EventStoreTests.Segment(call, "u2", 1, true)),
            new PendingEvent(new CallEnded(call, "hung up", DateTimeOffset.UnixEpoch)),
        ]);
        await ChainCheckpoints.SignAsync(recorder, CheckpointKey.FromSecret(Secret), heads);
        Assert.Equal(eventsBefore + 2, await CountAsync(asOwner, "SELECT count(*) FROM events"));
        var report = await ChainVerifier.VerifyAsync(recorder, new CheckpointKeys(CheckpointKey.FromSecret(Secret)));
        Assert.True(report.Ok, string.Join("\n", report.Broken.Select(b => b.Reason).Concat(report.Projections.Select(p => p.Reason))));
        Assert.Equal(eventsBefore + 2, report.Events);
    }

    [Fact]
    public async Task Adopting_applies_every_function_file_once_then_only_the_changed_ones()
    {
        var owner = await SchemaEquivalenceTests.EarlierStoreAsync();
        await using var asOwner = NpgsqlDataSource.Create(owner);
        var set = SchemaEquivalenceTests.WithFunction("functions/sign_anchor.sql",
            sql => sql.Replace("-- counted from the last anchor on", "-- counted from the previous anchor on", StringComparison.Ordinal));

        var applied = await Migrator.MigrateAsync(asOwner, set);

        Assert.Equal([.. set.Functions.Select(f => f.Name)], applied.Skip(1 + SchemaEquivalenceTests.LaterVersioned().Count));
        Assert.Empty(await Migrator.MigrateAsync(asOwner, set));
        Assert.Contains("counted from the previous anchor on", (string)(await asOwner.CreateCommand("SELECT prosrc FROM pg_proc WHERE proname = 'sign_anchor'").ExecuteScalarAsync())!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Adopting_a_store_whose_function_an_owner_patched_by_hand_restores_the_function_files_body()
    {
        var owner = await SchemaEquivalenceTests.EarlierStoreAsync();
        await using var asOwner = NpgsqlDataSource.Create(owner);
        var file = Migrator.Embedded().Functions.Single(f => f.Name == "functions/append_events.sql").Sql;
        const string Lock = "PERFORM pg_advisory_xact_lock_shared(727274);";
        Assert.Contains(Lock, file, StringComparison.Ordinal);
        // the shared lock is what keeps the projection daemon from skipping an uncommitted event
        await asOwner.CreateCommand(file.Replace(Lock, "-- patched: no lock", StringComparison.Ordinal)).ExecuteNonQueryAsync();
        const string Definition = "SELECT pg_get_functiondef('append_events'::regproc)";
        Assert.Contains("patched: no lock", (string)(await asOwner.CreateCommand(Definition).ExecuteScalarAsync())!, StringComparison.Ordinal);

        await Migrator.MigrateAsync(asOwner);

        await using var fresh = NpgsqlDataSource.Create(await SchemaEquivalenceTests.CurrentStoreAsync());
        Assert.Equal((string)(await fresh.CreateCommand(Definition).ExecuteScalarAsync())!, (string)(await asOwner.CreateCommand(Definition).ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_store_of_the_earlier_layout_with_an_edited_migration_fails_the_start_naming_it()
    {
        var owner = await SchemaEquivalenceTests.EarlierStoreAsync();
        await using var asOwner = NpgsqlDataSource.Create(owner);
        await asOwner.CreateCommand("UPDATE schema_migrations SET sha256 = 'edited' WHERE version = 3").ExecuteNonQueryAsync();

        var e = await Assert.ThrowsAsync<MigrationException>(() => Migrator.MigrateAsync(asOwner));

        Assert.Contains("migration 003_metrics_projection.sql was changed after it was applied", e.Message, StringComparison.Ordinal);
        Assert.Equal(7L, await CountAsync(asOwner, "SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task A_store_migrated_part_way_through_the_earlier_layout_fails_the_start_saying_what_to_run()
    {
        var owner = await SchemaEquivalenceTests.EarlierStoreAsync(upTo: 5);
        await using var asOwner = NpgsqlDataSource.Create(owner);

        var e = await Assert.ThrowsAsync<MigrationException>(() => Migrator.MigrateAsync(asOwner));

        Assert.Contains("only up to 005 (006_roles_and_checkpoints.sql is not applied)", e.Message, StringComparison.Ordinal);
        Assert.Equal(5L, await CountAsync(asOwner, "SELECT count(*) FROM schema_migrations"));
    }
}
