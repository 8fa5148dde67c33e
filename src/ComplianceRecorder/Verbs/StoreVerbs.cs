using ComplianceRecorder.EventStore;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.EventStore.Schema;
using ComplianceRecorder.EventStore.Verification;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace ComplianceRecorder.Verbs;

internal static class StoreVerbs
{
    /// <summary>verify's exit code when an event, checkpoint or projection row is broken.</summary>
    public const int Broken = 1;

    /// <summary>verify's exit code when nothing is broken but not everything could be checked (no key, or a schema behind this build).</summary>
    public const int Unsigned = 2;

    public static Task<int> MigrateAsync(IConfiguration config) => WithStoreAsync(config, migrate: true, async (store, _) =>
    {
        await using var owner = NpgsqlDataSource.Create(store.RequireOwner("migrate"));
        var applied = await Migrator.MigrateAsync(owner).ConfigureAwait(false);
        Console.WriteLine(applied.Count == 0 ? "schema is up to date" : "applied: " + string.Join(", ", applied));
        return 0;
    });

    // verify reads only: a store behind this build is reported, not migrated, so what is verified is what was there
    public static Task<int> VerifyAsync(IConfiguration config, IProgress<EventProgress>? progress) => WithStoreAsync(config, migrate: false, async (_, db) =>
    {
        var pending = await Migrator.PendingAsync(db).ConfigureAwait(false);
        if (pending.Count > 0)
        {
            Console.WriteLine($"NOT VERIFIED: the schema lacks {string.Join(", ", pending)}; verify changes nothing, run `migrate` first");
            return Unsigned;
        }
        var keys = Settings.VerifyingCheckpointKeys(config);
        var interval = TimeSpan.FromSeconds(Settings.Number(config, "Recorder:CheckpointSeconds", 60, 1, 86_400));
        // the recorder signs every interval and at stop; twice the interval leaves room for a slow tick
        var report = await ChainVerifier.VerifyAsync(db, keys, DateTimeOffset.UtcNow - 2 * interval, progress).ConfigureAwait(false);
        Console.WriteLine(keys is null
            ? $"verified {report.Events} events in {report.Streams} streams and the projections; {report.Checkpoints} checkpoints checked for structure only"
            : $"verified {report.Events} events in {report.Streams} streams, the projections, and {report.Checkpoints} signed checkpoints (key ids: {string.Join(", ", keys.Ids)})");
        foreach (var b in report.Broken)
        {
            Console.WriteLine($"BROKEN stream {b.StreamId} version {b.Version} (seq {b.Seq}): {b.Reason}");
        }
        foreach (var p in report.Projections)
        {
            Console.WriteLine($"BROKEN projection {p.Table} row {p.Row}: {p.Reason}");
        }
        if (!report.Ok)
        {
            return Broken;
        }
        if (keys is null)
        {
            Console.WriteLine("NOT VERIFIED: checkpoint signatures could not be checked, no checkpoint key is configured (Recorder:CheckpointKey or Recorder:CheckpointKeyFile)");
            return Unsigned;
        }
        return 0;
    });

    public static Task<int> RebuildAsync(IConfiguration config, string projection, IProgress<EventProgress>? progress) => WithStoreAsync(config, migrate: true, async (store, _) =>
    {
        await using var owner = NpgsqlDataSource.Create(store.RequireOwner("rebuild"));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var n = await Rebuilder.RebuildAsync(owner, projection, progress).ConfigureAwait(false);
        Console.WriteLine($"rebuilt {projection} from {n} events in {started.Elapsed.TotalSeconds:F2} s");
        return 0;
    });

    private static async Task<int> WithStoreAsync(IConfiguration config, bool migrate, Func<StoreConnections, NpgsqlDataSource, Task<int>> work)
    {
        var store = await Settings.EventStoreAsync(config).ConfigureAwait(false);
        try
        {
            await using var db = NpgsqlDataSource.Create(store.Recorder);
            if (migrate)
            {
                await store.MigrateAsync(db, Console.Out).ConfigureAwait(false);
            }
            return await work(store, db).ConfigureAwait(false);
        }
        finally
        {
            if (store.Local is not null)
            {
                await store.Local.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
