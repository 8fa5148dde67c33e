using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using ComplianceRecorder.Development;
using ComplianceRecorder.Hosting;
using ComplianceRecorder.Recording;
using ComplianceRecorder.Web;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Bench;

/// <summary>
/// End to end under load: the emulator in its own process (so its work is not counted as the
/// recorder's) playing generated calls in scaled time → the recorder as `run` hosts it, in this
/// process → a private PostgreSQL on this machine. Latencies come from the recorder's own histograms,
/// every measurement kept for exact percentiles.
///   dotnet run -c Release --project bench/ComplianceRecorder.Bench -- load {calls} [seconds] [speed]
///   dotnet run -c Release --project bench/ComplianceRecorder.Bench -- idle {calls}
/// </summary>
internal static class LoadBench
{
    public static async Task RunAsync(string[] args)
    {
        var idle = args[0] == "idle";
        var calls = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        var seconds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 60;
        var speed = args.Length > 3 ? double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 1.7;
        var pgDir = Path.Combine(Path.GetTempPath(), "cr-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var pg = await LocalPostgres.StartAsync(pgDir, stopOnDispose: true);
        // calls outlast the warm-up and the measurement, so none ends while it is measured
        var scenario = idle ? $"idle:{calls}" : $"load:{calls}:{(int)((seconds + 60) * speed)}";
        using var emulator = StartEmulator(scenario, idle ? 1 : speed, out var emulatorUri);
        try
        {
            var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                // as in production: the recorder's restricted login, the owner's for migrations
                ["ConnectionStrings:EventStore"] = pg.RecorderConnectionString() + ";Maximum Pool Size=50",
                ["ConnectionStrings:EventStoreOwner"] = pg.ConnectionString(),
                ["Recorder:Url"] = "http://127.0.0.1:0",
                ["Recorder:CheckpointKey"] = Convert.ToBase64String(new byte[32]),
                // a production recorder seals every call's text under its data key, wrapped by this master
                ["Recorder:MasterKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
                ["Genesys:LoginBaseUrl"] = emulatorUri.ToString(),
                ["Genesys:ApiBaseUrl"] = emulatorUri.ToString(),
                ["Genesys:ClientId"] = "emulator-client",
                ["Genesys:ClientSecret"] = "emulator-secret",
                ["Genesys:QueueIds:0"] = idle ? "idle-queue" : "load-queue",
                ["Auth:Keys:0:Name"] = "bench",
                ["Auth:Keys:0:Sha256"] = AccessControl.Hash("bench-key"),
                ["Auth:Keys:0:Role"] = "auditor",
            }).AddEnvironmentVariables().Build();
            using var latencies = new Latencies();
            GC.Collect();
            var baseline = GC.GetTotalMemory(forceFullCollection: true);
            await using var host = await RecorderHost.StartAsync(config, demo: false, logs: new QuietLogs());
            if (idle)
            {
                await MeasureIdleAsync(host, calls, baseline);
            }
            else
            {
                await MeasureLoadAsync(host, latencies, calls, seconds, speed);
            }
        }
        finally
        {
            emulator.Kill();
            await pg.DisposeAsync();
            Directory.Delete(pgDir, recursive: true);
        }
    }

    private static async Task MeasureLoadAsync(RecorderHost host, Latencies latencies, int calls, int seconds, double speed)
    {
        // warm-up: every call started and talking
        var warm = Stopwatch.StartNew();
        while (host.Recorder.Calls < calls * 0.98 && warm.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            await Task.Delay(1000);
        }
        var warmUp = warm.Elapsed;
        var process = Process.GetCurrentProcess();
        latencies.Reset();
        var segments0 = host.Recorder.Segments + host.Recorder.Duplicates;
        var cpu0 = process.TotalProcessorTime;
        var machine0 = MachineCpu();
        var pause0 = GC.GetTotalPauseDuration();
        var gcs0 = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var backlogMax = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            backlogMax = Math.Max(backlogMax, host.Committer.Backlog);
            await Task.Delay(100);
        }
        var wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var segments = host.Recorder.Segments + host.Recorder.Duplicates - segments0;
        var cores = (process.TotalProcessorTime - cpu0).TotalSeconds / wall;
        var machine = MachineCpu();
        var busy = (machine.Busy - machine0.Busy) / (double)(machine.Total - machine0.Total) * Environment.ProcessorCount;
        var pauses = GC.GetTotalPauseDuration() - pause0;
        var (durable, caption) = latencies.Take();
        Console.WriteLine($"calls {calls:N0} at x{speed} ({host.Recorder.Calls:N0} active while measured), {wall:F0} s measured after a {warmUp.TotalSeconds:F0} s warm-up");
        Console.WriteLine($"  segments/s sustained      {segments / wall:N0}  (max commit backlog {backlogMax:N0})");
        Console.WriteLine($"  receive→durable           p50 {Ms(durable, 0.50)} ms  p99 {Ms(durable, 0.99)} ms  max {Ms(durable, 1)} ms  (n={durable.Length:N0})");
        Console.WriteLine($"  receive→caption           p50 {Ms(caption, 0.50)} ms  p99 {Ms(caption, 0.99)} ms");
        Console.WriteLine($"  CPU                       recorder {cores:F2} cores ({cores * wall * 1e6 / Math.Max(1, segments):F0} ms per 1,000 segments); whole machine {busy:F2} of {Environment.ProcessorCount} cores (emulator and PostgreSQL too)");
        Console.WriteLine($"  memory                    GC heap {GC.GetTotalMemory(false) / 1048576.0:F0} MiB, working set {process.WorkingSet64 / 1048576.0:F0} MiB, {GC.GetTotalMemory(false) / (double)Math.Max(1, host.Recorder.Calls) / 1024:F1} KiB of heap per active call");
        Console.WriteLine($"  GC                        pauses {pauses.TotalMilliseconds:F0} ms in {wall:F0} s ({pauses.TotalMilliseconds / (wall * 10):F2}% of the time); collections gen0 {GC.CollectionCount(0) - gcs0.Item1}, gen1 {GC.CollectionCount(1) - gcs0.Item2}, gen2 {GC.CollectionCount(2) - gcs0.Item3}");
    }

    /// <summary>Every call has said its greeting and is silent now: what each costs while it waits.</summary>
    private static async Task MeasureIdleAsync(RecorderHost host, int calls, long baseline)
    {
        var clock = Stopwatch.StartNew();
        while (host.Recorder.Calls < calls && clock.Elapsed < TimeSpan.FromMinutes(4))
        {
            await Task.Delay(500);
        }
        await Task.Delay(TimeSpan.FromSeconds(5));
        var heard = host.Recorder.Calls;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"idle calls {calls:N0}: {heard:N0} heard and silent after {clock.Elapsed.TotalSeconds:F0} s");
        Console.WriteLine($"  GC heap {heap / 1048576.0:F1} MiB against {baseline / 1048576.0:F1} MiB before the host started: {(heap - baseline) / (double)heard / 1024:F1} KiB per idle call (the host's own fixed cost included)");
        Console.WriteLine($"  working set {Process.GetCurrentProcess().WorkingSet64 / 1048576.0:F0} MiB");
    }

    private static Process StartEmulator(string scenario, double speed, out Uri uri)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        // BENCH_EMULATOR_NICE=10 lowers the emulator's priority, so the recorder and PostgreSQL come first on a shared machine
        var nice = Environment.GetEnvironmentVariable("BENCH_EMULATOR_NICE");
        var info = new ProcessStartInfo(string.IsNullOrEmpty(nice) ? dotnet : "nice")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (!string.IsNullOrEmpty(nice))
        {
            info.ArgumentList.Add("-n");
            info.ArgumentList.Add(nice);
            info.ArgumentList.Add(dotnet);
        }
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "ComplianceRecorder.dll"), "emulate", $"--Emulator:Scenario={scenario}", "--Emulator:Loop=false",
            $"--Emulator:Speed={speed.ToString(System.Globalization.CultureInfo.InvariantCulture)}" })
        {
            info.ArgumentList.Add(a);
        }
        var process = Process.Start(info)!;
        var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the emulator said nothing");
        uri = new Uri(Regex.Match(line, @"http://\S+").Value);
        Console.WriteLine(line);
        return process;
    }

    private static (long Busy, long Total) MachineCpu()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var idle = fields[3] + fields[4];
        var total = fields.Sum();
        return (total - idle, total);
    }

    private static string Ms(double[] sorted, double q) =>
        sorted.Length == 0 ? "-" : (sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))] * 1000).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Every receive→durable and receive→caption measurement the recorder reports.</summary>
    private sealed class Latencies : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Lock _gate = new();
        private List<double> _durable = new(1 << 20);
        private List<double> _caption = new(1 << 20);

        public Latencies()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RecorderMetrics.MeterName && instrument.Name is "recorder.segment.receive_to_durable" or "recorder.segment.receive_to_caption")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
            {
                lock (_gate)
                {
                    (instrument.Name == "recorder.segment.receive_to_durable" ? _durable : _caption).Add(value);
                }
            });
            _listener.Start();
        }

        public void Reset()
        {
            lock (_gate)
            {
                _durable = new(1 << 20);
                _caption = new(1 << 20);
            }
        }

        public (double[] Durable, double[] Caption) Take()
        {
            lock (_gate)
            {
                var d = _durable.ToArray();
                var c = _caption.ToArray();
                Array.Sort(d);
                Array.Sort(c);
                return (d, c);
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>Warnings and errors only: a load run's logs would drown its figures.</summary>
    internal sealed class QuietLogs : Microsoft.Extensions.Logging.ILoggerProvider
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger();

        public void Dispose()
        {
        }

        private sealed class Logger : Microsoft.Extensions.Logging.ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= (Environment.GetEnvironmentVariable("BENCH_LOGS") == "info" ? Microsoft.Extensions.Logging.LogLevel.Information : Microsoft.Extensions.Logging.LogLevel.Warning);

            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    Console.Error.WriteLine($"{logLevel}: {formatter(state, exception)}");
                }
            }
        }
    }
}
