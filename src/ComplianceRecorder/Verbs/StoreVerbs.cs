using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.EventStore.Schema;
using ComplianceRecorder.EventStore.Verification;
using Npgsql;

namespace ComplianceRecorder.Verbs;

internal static class StoreVerbs
{
    public static Task<int> MigrateAsync(string[] args) => WithStoreAsync(args, async db =>
    {
        var applied = await Migrator.MigrateAsync(db).ConfigureAwait(false);
        Console.WriteLine(applied.Count == 0 ? "schema is up to date" : "applied: " + string.Join(", ", applied));
        return 0;
    });

    public static Task<int> VerifyAsync(string[] args) => WithStoreAsync(args, async db =>
    {
        var report = await ChainVerifier.VerifyAsync(db, Settings.CheckpointKey(Settings.Load(args))).ConfigureAwait(false);
        Console.WriteLine($"verified {report.Events} events in {report.Streams} streams, and their signed checkpoints");
        foreach (var b in report.Broken)
        {
            Console.WriteLine($"BROKEN stream {b.StreamId} version {b.Version} (seq {b.Seq}): {b.Reason}");
        }
        return report.Ok ? 0 : 1;
    });

    public static Task<int> RebuildAsync(string[] args) => WithStoreAsync(args, async db =>
    {
        var projection = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "audit";
        var started = System.Diagnostics.Stopwatch.StartNew();
        var n = await Rebuilder.RebuildAsync(db, projection).ConfigureAwait(false);
        Console.WriteLine($"rebuilt {projection} from {n} events in {started.Elapsed.TotalSeconds:F2} s");
        return 0;
    });

    private static async Task<int> WithStoreAsync(string[] args, Func<NpgsqlDataSource, Task<int>> work)
    {
        var config = Settings.Load(args);
        var (cs, local) = await Settings.EventStoreAsync(config).ConfigureAwait(false);
        try
        {
            await using var db = NpgsqlDataSource.Create(cs);
            await Migrator.MigrateAsync(db).ConfigureAwait(false);
            return await work(db).ConfigureAwait(false);
        }
        finally
        {
            if (local is not null)
            {
                await local.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
