using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ComplianceRecorder.Development;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.Emulator.AudioHook;
using ComplianceRecorder.Genesys.Speech;
using ComplianceRecorder.Hosting;
using ComplianceRecorder.ReadSide;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Bench;

/// <summary>
/// The AudioHook intake with the embedded recognizer, on speech espeak-ng synthesized from the scenarios:
/// 1. word error rate and real-time factor of the recognizer alone, per call and channel (the demo scenario);
/// 2. speech end → durable caption, the demo's calls played at real time through the whole recorder;
/// 3. N copies of the demo's first call at once: how many one instance keeps up with (no audio left unrecognised).
///   dotnet run -c Release --project bench/ComplianceRecorder.Bench -- audiohook [recorder-only] [concurrent ...]
/// </summary>
internal static partial class AudioHookBench
{
    public static async Task RunAsync(string[] args)
    {
        var concurrency = args.Skip(1).Where(a => a != "recorder-only").Select(a => int.Parse(a, CultureInfo.InvariantCulture)).DefaultIfEmpty(4).ToList();
        var demo = Scenario.Load("demo");
        if (!args.Contains("recorder-only"))
        {
            await RecognizerAloneAsync(demo);
            Console.WriteLine();
        }
        await ThroughRecorderAsync("demo scenario, real time", demo);
        foreach (var n in concurrency)
        {
            var first = demo.Calls[0];
            var copies = new Scenario(demo.QueueId, [.. Enumerable.Range(0, n).Select(_ => first with { ConversationId = Guid.NewGuid().ToString(), StartMs = 0 })]);
            Console.WriteLine();
            await ThroughRecorderAsync($"{n} copies of the first call at once", copies);
        }
    }

    private static async Task RecognizerAloneAsync(Scenario scenario)
    {
        using var recognizer = new PocketSphinxRecognizer();
        recognizer.Warm();
        Console.WriteLine("| call | channel | audio s | recognition s | real-time factor | words said | WER |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        double audioTotal = 0, busyTotal = 0, errors = 0, words = 0;
        foreach (var call in scenario.Calls)
        {
            var audio = await AudioHookClient.SynthesizeAsync(call);
            for (var c = 0; c < 2; c++)
            {
                var channel = c == 0 ? "EXTERNAL" : "INTERNAL";
                var samples = audio[c].Select(s => MuLaw.Decode(SpeechSynthesis.ToMuLaw(s))).ToArray();
                var output = new List<SpeechHypothesis>();
                var watch = Stopwatch.StartNew();
                using (var stream = recognizer.Open(new SpeechStreamInfo(call.ConversationId, channel, "en-US", 8000)))
                {
                    for (var at = 0; at < samples.Length; at += 1600)
                    {
                        await stream.AcceptAsync(samples.AsMemory(at, Math.Min(1600, samples.Length - at)), output, default);
                    }
                    await stream.CompleteAsync(output, default);
                }
                var busy = watch.Elapsed.TotalSeconds;
                var seconds = samples.Length / 8000.0;
                var said = WordErrorRate.Words(string.Join(' ', call.Utterances.Where(u => u.Channel == channel).Select(u => u.Text)));
                var heard = WordErrorRate.Words(string.Join(' ', output.Where(h => h.IsFinal).Select(h => h.Text)));
                var distance = WordErrorRate.Errors(said, heard);
                audioTotal += seconds;
                busyTotal += busy;
                errors += distance;
                words += said.Length;
                Console.WriteLine($"| {call.ConversationId[^4..]} | {channel} | {seconds:F1} | {busy:F1} | {busy / seconds:F2} | {said.Length} | {distance / (double)Math.Max(1, said.Length):P0} |");
            }
        }
        Console.WriteLine($"| all | both | {audioTotal:F1} | {busyTotal:F1} | {busyTotal / audioTotal:F2} | {words} | {errors / words:P0} |");
    }

    private static async Task ThroughRecorderAsync(string title, Scenario scenario)
    {
        var dir = Path.Combine(Path.GetTempPath(), "cr-bench-ah-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "scenario.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(scenario, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        // synthesized before the clock starts: the player then reads each line from the cache
        foreach (var call in scenario.Calls.DistinctBy(c => string.Join('|', c.Utterances)))
        {
            await AudioHookClient.SynthesizeAsync(call);
        }
        var pg = await LocalPostgres.StartAsync(Path.Combine(dir, "pg"), stopOnDispose: true);
        var logs = new FactorLogs();
        try
        {
            var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:EventStore"] = pg.RecorderConnectionString(),
                ["ConnectionStrings:EventStoreOwner"] = pg.ConnectionString(),
                ["Recorder:Url"] = "http://127.0.0.1:0",
                ["Recorder:CheckpointKey"] = Convert.ToBase64String(new byte[32]),
                ["Recorder:SpillDirectory"] = Path.Combine(dir, "spill"),
                ["Genesys:Dialect"] = "audiohook",
                // the sweep finds how many calls one instance keeps up with: the default bound would refuse past four
                ["Genesys:AudioHook:MaxSessions"] = "64",
                ["Emulator:Scenario"] = file,
                ["Emulator:Speed"] = "1",
                ["Emulator:Loop"] = "false",
                ["Auth:Keys:0:Name"] = "bench",
                ["Auth:Keys:0:Sha256"] = Web.AccessControl.Hash("bench-key"),
                ["Auth:Keys:0:Role"] = "auditor",
            }).Build();
            var captions = new ConcurrentQueue<(Caption Caption, double At)>();
            var clock = Stopwatch.StartNew();
            await using var host = await RecorderHost.StartAsync(config, demo: true, logs: logs);
            // the player began its calls as the host returned: each call's audio starts StartMs after this
            var origin = clock.Elapsed.TotalMilliseconds;
            using var live = host.Services.GetRequiredService<IObservable<Caption>>().Subscribe(c => captions.Enqueue((c, clock.Elapsed.TotalMilliseconds)), _ => { });
            await host.AudioHook!.Completion.WaitAsync(TimeSpan.FromMinutes(5));
            var ended = Stopwatch.StartNew();
            while (captions.Count(c => c.Caption.Kind == "ended") < scenario.Calls.Count && ended.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(200);
            }

            var lengths = new Dictionary<string, int>();
            foreach (var u in scenario.Calls.SelectMany(c => c.Utterances))
            {
                lengths[u.Channel + u.Text] = (await SpeechSynthesis.SayAsync(u.Text, SpeechSynthesis.VoiceOf(u.Channel))).Length * 1000 / 8000;
            }
            var latencies = new List<double>();
            foreach (var (c, at) in captions.Where(x => x.Caption.Kind == "segment" && x.Caption.IsFinal))
            {
                var call = scenario.Calls.First(s => s.ConversationId == c.ConversationId);
                // the scripted line this final heard most of
                var line = call.Utterances.Where(u => u.Channel == c.Channel)
                    .MaxBy(u => Math.Min(c.OffsetMs + c.DurationMs, u.AtMs + lengths[u.Channel + u.Text]) - Math.Max(c.OffsetMs, u.AtMs));
                if (line is null)
                {
                    continue;
                }
                latencies.Add(at - (origin + call.StartMs + line.AtMs + lengths[line.Channel + line.Text]));
            }
            latencies.Sort();
            var unrecognised = captions.Count(c => c.Caption.Kind == "gap" && c.Caption.Text.Contains("not recognised", StringComparison.Ordinal));
            Console.WriteLine($"### {title}: {scenario.Calls.Count} calls, {latencies.Count} finals");
            Console.WriteLine($"speech end → durable caption: p50 {P(latencies, 0.5) / 1000:F2} s, p99 {P(latencies, 0.99) / 1000:F2} s, max {latencies.LastOrDefault() / 1000:F2} s");
            Console.WriteLine($"real-time factor per call channel: {string.Join(", ", logs.Factors.Order().Select(f => f.ToString("F2", CultureInfo.InvariantCulture)))}");
            Console.WriteLine($"audio left unrecognised (gaps): {unrecognised}; player failures: {host.AudioHook.Failures.Count}");
        }
        finally
        {
            await pg.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double P(List<double> sorted, double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

    [GeneratedRegex(@"real-time factor (\d+\.\d+)")]
    private static partial Regex FactorLine();

    /// <summary>Warnings to stderr, and each channel's real-time factor as the recorder logs it.</summary>
    private sealed class FactorLogs : ILoggerProvider
    {
        public ConcurrentBag<double> Factors { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(FactorLogs sink) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var line = formatter(state, exception);
                if (FactorLine().Match(line) is { Success: true } m)
                {
                    sink.Factors.Add(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
                }
                else if (logLevel >= LogLevel.Warning)
                {
                    Console.Error.WriteLine($"{logLevel}: {line}");
                }
            }
        }
    }
}
