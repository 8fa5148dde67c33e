using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Schema;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Tests.Infrastructure;
using Npgsql;

namespace ComplianceRecorder.Tests.EventStore;

/// <summary>The `verify` verb as an operator runs it: its own process, the recorder's login, a key or none.</summary>
public sealed class VerifyVerbTests(Database db) : IClassFixture<Database>, IDisposable
{
    private static readonly byte[] Secret = [.. Enumerable.Range(7, 32).Select(i => (byte)i)];

    // a folder of its own with an empty appsettings.json, so no key kept in the repository's .data is found
    private readonly string _dir = Directory.CreateTempSubdirectory("cr-verify-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<(int Exit, string Output)> VerifyAsync(IReadOnlyDictionary<string, string> settings) => RunAsync(["verify"], settings);

    private async Task<(int Exit, string Output)> RunAsync(string[] verb, IReadOnlyDictionary<string, string> settings)
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "appsettings.json"), "{}");
        return await VerbProcess.RunAsync(_dir, verb, new Dictionary<string, string>(settings) { ["ConnectionStrings:EventStore"] = settings.GetValueOrDefault("ConnectionStrings:EventStore", db.ConnectionString) });
    }

    [Fact]
    public async Task Verify_without_the_key_says_signatures_were_not_checked_and_exits_non_zero()
    {
        await db.Store().AppendAsync([new PendingEvent(EventStoreTests.Segment("verb-" + Guid.NewGuid(), "u1", 1, true))]);
        await ChainCheckpoints.SignAsync(db.DataSource, CheckpointKey.FromSecret(Secret), db.Heads);

        var (withoutKey, said) = await VerifyAsync(new Dictionary<string, string>());
        var (withKey, saidWithKey) = await VerifyAsync(new Dictionary<string, string> { ["Recorder:CheckpointKey"] = Convert.ToBase64String(Secret) });

        Assert.Equal(2, withoutKey);
        Assert.Contains("NOT VERIFIED: checkpoint signatures could not be checked", said, StringComparison.Ordinal);
        Assert.DoesNotContain("and their signed checkpoints", said, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, ".data", "checkpoint.key")), "verify must not make a key of its own");
        Assert.True(withKey == 0, saidWithKey);
        Assert.Contains("signed checkpoints (key ids: " + CheckpointKey.FromSecret(Secret).Id, saidWithKey, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_reports_a_schema_behind_this_build_and_leaves_it_unmigrated()
    {
        var (server, name, owner) = await StoreConnectionsTests.FreshDatabaseAsync();
        await using (var asOwner = NpgsqlDataSource.Create(owner))
        {
            var set = Migrator.Embedded();
            await Migrator.MigrateAsync(asOwner, set with { Functions = [.. set.Functions.Where(f => f.Name != "functions/sign_anchor.sql")] });
        }

        var (exit, said) = await VerifyAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings:EventStore"] = server.RecorderConnectionString(name),
            ["ConnectionStrings:EventStoreOwner"] = owner,
            ["Recorder:CheckpointKey"] = Convert.ToBase64String(Secret),
        });

        Assert.True(exit == 2, said);
        Assert.Contains("NOT VERIFIED: the schema lacks functions/sign_anchor.sql", said, StringComparison.Ordinal);
        await using var check = NpgsqlDataSource.Create(owner);
        Assert.Equal(0L, (long)(await check.CreateCommand("SELECT count(*) FROM pg_proc WHERE proname = 'sign_anchor'").ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_report_run_with_no_recorder_signs_the_access_it_recorded()
    {
        var (exit, said) = await RunAsync(["report", "calls"], new Dictionary<string, string> { ["Recorder:CheckpointKey"] = Convert.ToBase64String(Secret) });

        Assert.True(exit == 0, said);
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM events e
             WHERE e.type = 'report_accessed'
               AND NOT EXISTS (SELECT 1 FROM chain_checkpoints c WHERE c.stream_id = e.stream_id AND c.version >= e.version)
            """));
        Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'report_accessed'") > 0);
    }
}
