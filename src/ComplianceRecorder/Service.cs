using System.Reactive.Linq;
using ComplianceRecorder.Hosting;

namespace ComplianceRecorder;

/// <summary>Exit codes of demo and run besides 0 (a clean stop) and 3 (a bad setting); the README lists them.</summary>
internal static class ExitCodes
{
    /// <summary>Recording stopped on its own (the source or the store failed for good); the message says why.</summary>
    public const int RecordingFailed = 4;

    /// <summary>Stopped with the store unreachable: events were spilled, to be appended by the next start.</summary>
    public const int Spilled = 5;
}

/// <summary>The demo and run verbs: start the recorder, print the summary line, stop cleanly on Ctrl+C or SIGTERM.</summary>
internal static class Service
{
    public static async Task<int> RunAsync(string[] args, bool demo)
    {
        var config = Settings.Load(args);
        var summaryEvery = TimeSpan.FromSeconds(Settings.Number(config, "Recorder:SummarySeconds", 10, 1, 3600));

        using var stop = new CancellationTokenSource();
        // Ctrl+C and SIGTERM both stop taking frames, drain, commit, then exit
        using var signals = new StopSignals(stop);

        var host = await RecorderHost.StartAsync(config, demo).ConfigureAwait(false);
        await using (host.ConfigureAwait(false))
        {
            Console.WriteLine($"Live captions: {host.Access.PageUrl(host.Url)}   (Ctrl+C stops)");
            using var summary = Observable.Interval(summaryEvery).Subscribe(_ => Console.WriteLine(host.Recorder.Summary()));
            try
            {
                await Task.WhenAny(host.Recorder.Completion, Task.Delay(Timeout.Infinite, stop.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            Console.WriteLine("stopping: draining the pipeline and committing what was received…");
        }
        Console.WriteLine(host.Recorder.Summary());
        if (host.Recorder.Failure is { } failure)
        {
            await Console.Error.WriteLineAsync($"recording failed: {failure.Message}").ConfigureAwait(false);
            return ExitCodes.RecordingFailed;
        }
        if (host.Recorder.Spilled > 0)
        {
            await Console.Error.WriteLineAsync($"stopped with the store unreachable: {host.Recorder.Spilled} events spilled to {host.Committer.SpillDirectory}; the next start appends them first").ConfigureAwait(false);
            return ExitCodes.Spilled;
        }
        return 0;
    }
}
