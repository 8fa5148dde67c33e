using System.Diagnostics;
using System.Security.Cryptography;
using ComplianceRecorder.Development;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Encryption;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.EventStore.Retention;
using ComplianceRecorder.EventStore.Schema;
using ComplianceRecorder.Pipeline.Events;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ComplianceRecorder.Bench;

/// <summary>
/// What encryption at rest costs (#16): our append (64 calls, saturated) and a rebuild, into two fresh databases
/// of one private cluster, one with text in the clear and one sealed; then a retention pass that shreds N calls.
///   dotnet run -c Release --project bench/ComplianceRecorder.Bench -- retention [events] [calls-to-shred]
/// </summary>
internal static class RetentionBench
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    public static async Task RunAsync(string[] args)
    {
        var events = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        var shred = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        var local = await LocalPostgres.StartAsync(Path.Combine(Path.GetTempPath(), "cr-bench-" + Guid.NewGuid().ToString("N")[..8]), stopOnDispose: true);
        try
        {
            var master = new LocalMasterKeys(RandomNumberGenerator.GetBytes(32));
            // alternated, so a drift of the shared machine weighs on both
            var rounds = new List<(string Mode, double Append, double Rebuild)>();
            foreach (var sealing in new[] { false, true, false, true })
            {
                await using var db = await FreshAsync(local);
                var keys = sealing ? new DataKeys(db, master) : null;
                var append = await AppendAsync(new EventStore.Appending.EventStore(db, "bench", null, keys), events, 64);
                var sw = Stopwatch.StartNew();
                var rebuilt = await Rebuilder.RebuildAsync(db, "audit");
                rounds.Add((sealing ? "sealed" : "clear", append, rebuilt / sw.Elapsed.TotalSeconds));
                Console.WriteLine($"{(sealing ? "sealed" : "clear ")}: append {append:N0} events/s (64 calls, saturated), rebuild audit {rebuilt / sw.Elapsed.TotalSeconds:N0} events/s");
            }
            double Mean(string mode, Func<(string Mode, double Append, double Rebuild), double> f) => rounds.Where(r => r.Mode == mode).Average(f);
            Console.WriteLine($"encryption costs {1 - (Mean("sealed", r => r.Append) / Mean("clear", r => r.Append)):P1} of append throughput and {1 - (Mean("sealed", r => r.Rebuild) / Mean("clear", r => r.Rebuild)):P1} of rebuild throughput (means of two runs each)");

            await using var shredDb = await FreshAsync(local);
            var store = new EventStore.Appending.EventStore(shredDb, "bench", null, new DataKeys(shredDb, master));
            var made = Stopwatch.StartNew();
            foreach (var chunk in Enumerable.Range(0, shred).Chunk(1000))
            {
                await store.AppendAsync([.. chunk.SelectMany(i => new PendingEvent[] { new(new CallStarted($"old-{i}", "notifications", T0.AddDays(-400))), new(StoreBench.Segment($"old-{i}", 0)) })]);
            }
            Console.WriteLine($"{shred:N0} calls with a key each made in {made.Elapsed.TotalSeconds:F1} s");
            await RetentionPolicies.SetAsync(store, null, 365, "bench", T0);
            var sw2 = Stopwatch.StartNew();
            var result = await RetentionRun.ApplyAsync(store, T0);
            Console.WriteLine($"retention run shredded {result.Expired.Count:N0} calls (a call_expired event and a destroyed key each) in {sw2.Elapsed.TotalSeconds:F1} s: {result.Expired.Count / sw2.Elapsed.TotalSeconds:N0} calls/s");
        }
        finally
        {
            await local.DisposeAsync();
            Directory.Delete(local.DataDirectory, recursive: true);
        }
    }

    private static async Task<NpgsqlDataSource> FreshAsync(LocalPostgres local)
    {
        var name = "b_" + Guid.NewGuid().ToString("N")[..10];
        await using (var admin = NpgsqlDataSource.Create(local.ConnectionString()))
        await using (var cmd = admin.CreateCommand($"CREATE DATABASE {name}"))
        {
            await cmd.ExecuteNonQueryAsync();
        }
        var db = NpgsqlDataSource.Create(local.ConnectionString(name));
        await Migrator.MigrateAsync(db);
        return db;
    }

    private static async Task<double> AppendAsync(EventStore.Appending.EventStore store, int n, int calls)
    {
        var committer = new GroupCommitter(store, NullLogger.Instance, TimeProvider.System);
        var perCall = n / calls;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, calls).Select(c => Task.Run(async () =>
        {
            var pending = new List<Task>(perCall);
            for (var i = 0; i < perCall; i++)
            {
                pending.Add(await committer.EnqueueAsync(StoreBench.Segment($"call-{c}", i)));
            }
            await Task.WhenAll(pending);
        })));
        var rate = perCall * calls / sw.Elapsed.TotalSeconds;
        await committer.DisposeAsync();
        return rate;
    }
}
