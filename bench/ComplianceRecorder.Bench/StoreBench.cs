using System.Diagnostics;
using ComplianceRecorder.Development;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.EventStore.Schema;
using ComplianceRecorder.Pipeline.Events;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace ComplianceRecorder.Bench;

/// <summary>
/// The event store against its physical limit and against the tutorial's style, on a private cluster
/// (or COMPLIANCE_RECORDER_BENCH_PG). Throughput benches are plain timed loops, not BenchmarkDotNet:
/// each figure is one long run of a real server.
///   dotnet run -c Release --project bench/ComplianceRecorder.Bench -- store [events] [rebuild-events] [committer-connections]
/// </summary>
internal static class StoreBench
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    public static async Task RunAsync(string[] args)
    {
        var events = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
        var rebuildEvents = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        var connections = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 4; // the recorder's default (Recorder:CommitConnections)
        LocalPostgres? local = null;
        var cs = Environment.GetEnvironmentVariable("COMPLIANCE_RECORDER_BENCH_PG");
        if (string.IsNullOrEmpty(cs))
        {
            local = await LocalPostgres.StartAsync(Path.Combine(Path.GetTempPath(), "cr-bench-" + Guid.NewGuid().ToString("N")[..8]), stopOnDispose: true);
            cs = local.ConnectionString();
        }
        try
        {
            await using var db = NpgsqlDataSource.Create(cs);
            await Migrator.MigrateAsync(db);
            var sample = Segment("sample", 1);
            Console.WriteLine($"event data: {EventJson.Serialize(sample).Length} bytes of JSON (a redacted segment with its latencies)");

            // BENCH_STORE_PARTS picks parts by letter (e.g. "c" to time one lever); the ratios then read n/a
            var parts = Environment.GetEnvironmentVariable("BENCH_STORE_PARTS") is { Length: > 0 } p ? p : "abcpdm";
            var copy = double.NaN;
            var naive = double.NaN;
            if (parts.Contains('a'))
            {
                copy = await CopyAsync(db, events);
                Console.WriteLine($"(a) binary COPY into a bare table, {events} rows: {copy:N0} events/s");
            }
            if (parts.Contains('b'))
            {
                var naiveCount = Math.Min(events, 20_000);
                naive = await NaiveAsync(db, naiveCount);
                Console.WriteLine($"(b) INSERT + commit per event, one connection, {naiveCount} rows: {naive:N0} events/s");
            }
            if (parts.Contains('c'))
            {
                foreach (var calls in new[] { 1, 64, 1_000 })
                {
                    var (rate, p50, p99) = await OursAsync(db, events, calls, connections);
                    Console.WriteLine($"(c) our append, {calls} concurrent calls, {connections} committer connection(s), saturated: {rate:N0} events/s ({rate / copy:F2}× a, {rate / naive:F1}× b); enqueue→commit p50 {p50:F1} ms p99 {p99:F1} ms, mostly queueing");
                }
            }
            if (parts.Contains('p'))
            {
                foreach (var offered in new[] { 1_000, 5_000 })
                {
                    var (p50, p99) = await PacedAsync(db, offered, TimeSpan.FromSeconds(10), calls: 1_000, connections);
                    Console.WriteLine($"(c') {offered:N0} events/s offered by 1,000 calls for 10 s, {connections} committer connection(s): enqueue→commit p50 {p50:F1} ms p99 {p99:F1} ms");
                }
            }
            if (parts.Contains('d'))
            {
                var rebuild = await RebuildAsync(db, rebuildEvents);
                Console.WriteLine($"(d) rebuild audit over {rebuildEvents:N0} events: {rebuild:N0} events/s");
            }
            if (parts.Contains('m'))
            {
                // Marten 9.58 in a database of its own on the same cluster, the same segments
                await using var marten = await MartenBench.OpenAsync(db, cs);
                foreach (var streams in new[] { 64, 1_000 })
                {
                    var rate = await MartenBench.AppendAsync(marten, events, streams);
                    Console.WriteLine($"(m) Marten quick append, inline audit + call summary projections, {streams} streams, batches of 500: {rate:N0} events/s ({rate / copy:F2}× a, {rate / naive:F1}× b)");
                }
                var (martenRebuild, martenEvents) = await MartenBench.RebuildAsync(marten);
                Console.WriteLine($"(m) Marten daemon rebuild of the audit and call summary projections over {martenEvents:N0} events: {martenRebuild:N0} events/s");
            }
        }
        finally
        {
            if (local is not null)
            {
                await local.DisposeAsync();
                Directory.Delete(local.DataDirectory, recursive: true);
            }
        }
    }

    internal static SegmentRecorded Segment(string call, int i) =>
        new(call, i % 2 == 0 ? "INTERNAL" : "EXTERNAL", $"{call}-u{i / 4}", (i % 4) + 1, i % 4 == 3,
            "yes that's the card ending in [CARD] and the expiry is [EXPIRY], thank you for confirming",
            92, 88, 16, new Dictionary<string, int> { ["CARD"] = 1, ["EXPIRY"] = 1 }, i * 700L, 1400, null, null,
            T0.AddMilliseconds(i * 700), T0.AddMilliseconds((i * 700) + 80), T0.AddMilliseconds((i * 700) + 81), 80, false, "notifications");

    private static async Task<double> CopyAsync(NpgsqlDataSource db, int n)
    {
        await using (var create = db.CreateCommand("""
            DROP TABLE IF EXISTS bench_copy;
            CREATE TABLE bench_copy (seq bigint PRIMARY KEY, stream_id text, version integer, type text, schema_version integer,
              data jsonb, metadata jsonb, source_key text, writer text, recorded_at timestamptz, prev_hash bytea, hash bytea,
              UNIQUE (stream_id, version));
            """))
        {
            await create.ExecuteNonQueryAsync();
        }
        var rows = Enumerable.Range(0, n).Select(i => (Call: $"copy-{i % 1000}", Version: (i / 1000) + 1, Data: EventJson.Serialize(Segment($"copy-{i % 1000}", i)))).ToArray();
        var hash = new byte[32];
        var sw = Stopwatch.StartNew();
        await using (var conn = await db.OpenConnectionAsync())
        await using (var w = await conn.BeginBinaryImportAsync("COPY bench_copy FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < n; i++)
            {
                await w.StartRowAsync();
                await w.WriteAsync((long)i + 1, NpgsqlDbType.Bigint);
                await w.WriteAsync(rows[i].Call, NpgsqlDbType.Text);
                await w.WriteAsync(rows[i].Version, NpgsqlDbType.Integer);
                await w.WriteAsync("segment_recorded", NpgsqlDbType.Text);
                await w.WriteAsync(1, NpgsqlDbType.Integer);
                await w.WriteAsync(rows[i].Data, NpgsqlDbType.Jsonb);
                await w.WriteAsync("{}", NpgsqlDbType.Jsonb);
                await w.WriteAsync($"k{i}", NpgsqlDbType.Text);
                await w.WriteAsync("bench", NpgsqlDbType.Text);
                await w.WriteAsync(DateTime.UtcNow, NpgsqlDbType.TimestampTz);
                await w.WriteAsync(hash, NpgsqlDbType.Bytea);
                await w.WriteAsync(hash, NpgsqlDbType.Bytea);
            }
            await w.CompleteAsync();
        }
        return n / sw.Elapsed.TotalSeconds;
    }

    private static async Task<double> NaiveAsync(NpgsqlDataSource db, int n)
    {
        await using (var create = db.CreateCommand("DROP TABLE IF EXISTS bench_naive; CREATE TABLE bench_naive (LIKE bench_copy INCLUDING ALL)"))
        {
            await create.ExecuteNonQueryAsync();
        }
        var data = EventJson.Serialize(Segment("naive", 1));
        var hash = new byte[32];
        await using var conn = await db.OpenConnectionAsync();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            // the tutorial's shape: one event, one statement, one commit
            await using var cmd = new NpgsqlCommand("INSERT INTO bench_naive VALUES ($1, $2, $3, 'segment_recorded', 1, $4::jsonb, '{}', $5, 'bench', now(), $6, $6)", conn);
            cmd.Parameters.AddWithValue((long)i + 1);
            cmd.Parameters.AddWithValue($"naive-{i % 100}");
            cmd.Parameters.AddWithValue((i / 100) + 1);
            cmd.Parameters.AddWithValue(data);
            cmd.Parameters.AddWithValue($"k{i}");
            cmd.Parameters.AddWithValue(hash);
            await cmd.ExecuteNonQueryAsync();
        }
        return n / sw.Elapsed.TotalSeconds;
    }

    private static async Task<(double Rate, double P50, double P99)> OursAsync(NpgsqlDataSource db, int n, int calls, int connections)
    {
        var committer = new GroupCommitter(new EventStore.Appending.EventStore(db, "bench"), NullLogger.Instance, TimeProvider.System, connections: connections);
        var latencies = new double[n];
        var run = Guid.NewGuid().ToString("N")[..6];
        var perCall = n / calls;
        var sw = Stopwatch.StartNew();
        // each call produces its segments as the pipeline does: queued without waiting for the previous commit
        await Task.WhenAll(Enumerable.Range(0, calls).Select(c => Task.Run(async () =>
        {
            var pending = new List<Task>(perCall);
            for (var i = 0; i < perCall; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var slot = (c * perCall) + i;
                var commit = await committer.EnqueueAsync(Segment($"{run}-{c}", i));
                pending.Add(commit.ContinueWith(_ => latencies[slot] = Stopwatch.GetElapsedTime(started).TotalMilliseconds, TaskScheduler.Default));
            }
            await Task.WhenAll(pending);
        })));
        var rate = perCall * calls / sw.Elapsed.TotalSeconds;
        await committer.DisposeAsync();
        var sorted = latencies[..(perCall * calls)];
        Array.Sort(sorted);
        return (rate, sorted[sorted.Length / 2], sorted[(int)(sorted.Length * 0.99)]);
    }

    /// <summary>Commit latency at a steady offered rate, as calls produce segments live (not a saturation run).</summary>
    private static async Task<(double P50, double P99)> PacedAsync(NpgsqlDataSource db, int perSecond, TimeSpan duration, int calls, int connections)
    {
        var committer = new GroupCommitter(new EventStore.Appending.EventStore(db, "bench"), NullLogger.Instance, TimeProvider.System, connections: connections);
        var run = Guid.NewGuid().ToString("N")[..6];
        var total = (int)(perSecond * duration.TotalSeconds);
        var latencies = new double[total];
        var pending = new List<Task>(total);
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < total; i++)
        {
            var wait = TimeSpan.FromSeconds((double)i / perSecond) - sw.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            var started = Stopwatch.GetTimestamp();
            var slot = i;
            var commit = await committer.EnqueueAsync(Segment($"{run}-{i % calls}", i));
            pending.Add(commit.ContinueWith(_ => latencies[slot] = Stopwatch.GetElapsedTime(started).TotalMilliseconds, TaskScheduler.Default));
        }
        await Task.WhenAll(pending);
        await committer.DisposeAsync();
        Array.Sort(latencies);
        return (latencies[total / 2], latencies[(int)(total * 0.99)]);
    }

    private static async Task<double> RebuildAsync(NpgsqlDataSource db, int n)
    {
        // events made in the database itself: the rebuild reads them, it does not care how they came
        await using (var fill = db.CreateCommand($$"""
            WITH s AS (INSERT INTO streams (id, version) SELECT 'rb-' || s, {{n}} / 1000 FROM generate_series(0, 999) s ON CONFLICT DO NOTHING)
            INSERT INTO events (seq, stream_id, version, type, schema_version, data, metadata, source_key, writer, prev_hash, hash)
            SELECT nextval('events_seq'), 'rb-' || (i % 1000), (i / 1000) + 1, 'segment_recorded', 1,
                   jsonb_set($1::jsonb, '{utteranceId}', to_jsonb('u' || i)), '{}', 'rb' || i, 'bench', '\x', '\x'
              FROM generate_series(0, {{n - 1}}) i;
            """))
        {
            fill.CommandTimeout = 0;
            fill.Parameters.AddWithValue(EventJson.Serialize(Segment("rb", 1)));
            await fill.ExecuteNonQueryAsync();
        }
        await using (var vacuum = db.CreateCommand("VACUUM ANALYZE events"))
        {
            vacuum.CommandTimeout = 0;
            await vacuum.ExecuteNonQueryAsync();
        }
        var sw = Stopwatch.StartNew();
        var total = await Rebuilder.RebuildAsync(db, "audit");
        return total / sw.Elapsed.TotalSeconds;
    }
}
