using System.Reactive.Linq;
using ComplianceRecorder.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ComplianceRecorder;

/// <summary>Exit codes of demo and run besides 0 (a clean stop) and 3 (a bad setting); the README lists them.</summary>
internal static class ExitCodes
{
    /// <summary>Recording stopped on its own (the source or the store failed for good); the message says why.</summary>
    public const int RecordingFailed = 4;

    /// <summary>Stopped with the store unreachable: events were spilled, to be appended by the next start.</summary>
    public const int Spilled = 5;
}

/// <summary>
/// The demo and run verbs: start the recorder's host, print the summary line, and stop when the host is
/// told to (Ctrl+C and SIGTERM come from its console lifetime) or the recording ends on its own.
/// </summary>
internal static class Service
{
    public static async Task<int> RunAsync(string[] args, bool demo)
    {
        var config = Settings.Load(args);
        RecorderHost host;
        try
        {
            host = await RecorderHost.StartAsync(config, demo).ConfigureAwait(false);
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException or System.Net.Sockets.SocketException)
        {
            // nothing was recorded: intake begins only once the web server has bound
            throw new SettingsException($"Recorder:Url = '{config["Recorder:Url"] ?? new RecorderOptions().Url}' cannot be listened on: {e.Message}");
        }
        catch (Exception e) when (e is OperationCanceledException || (e is AggregateException a && a.InnerExceptions.All(i => i is OperationCanceledException)))
        {
            // Ctrl+C or SIGTERM during the start: what it began was stopped, and what the store could not take was spilled
            var spilled = new EventStore.Appending.SpillFile(Settings.SpillDirectory(config)).Pending();
            if (spilled.Count > 0)
            {
                await Console.Error.WriteLineAsync($"stopped during the start with events not yet committed: spilled to {spilled.Count} file(s) in {Settings.SpillDirectory(config)}; the next start appends them first").ConfigureAwait(false);
                return ExitCodes.Spilled;
            }
            await Console.Error.WriteLineAsync("stopped during the start").ConfigureAwait(false);
            return 0;
        }
        // read before the host is disposed, with its services
        var recording = host.Recording;
        var committer = host.Committer;
        var membership = host.Services.GetRequiredService<InstanceMembership>();
        await using (host.ConfigureAwait(false))
        {
            var every = TimeSpan.FromSeconds(host.Services.GetRequiredService<IOptions<RecorderOptions>>().Value.SummarySeconds);
            Console.WriteLine($"Live captions: {host.Access.PageUrl(host.Url)}   (Ctrl+C stops)");
            using (Observable.Interval(every).Subscribe(_ => Console.WriteLine(host.Recorder.Summary())))
            {
                await host.StopRequested().ConfigureAwait(false);
            }
            Console.WriteLine("stopping: draining the pipeline and committing what was received…");
        }
        var recorder = recording.Recorder!;
        Console.WriteLine(recorder.Summary());
        if (membership.Lapsed is { } lapsed)
        {
            await Console.Error.WriteLineAsync($"recording failed: {lapsed}").ConfigureAwait(false);
            return ExitCodes.RecordingFailed;
        }
        if (recorder.Failure is { } failure)
        {
            await Console.Error.WriteLineAsync($"recording failed: {failure.Message}").ConfigureAwait(false);
            return ExitCodes.RecordingFailed;
        }
        if (recorder.Spilled > 0)
        {
            await Console.Error.WriteLineAsync($"stopped with the store unreachable: {recorder.Spilled} events spilled to {committer.SpillDirectory}; the next start appends them first").ConfigureAwait(false);
            return ExitCodes.Spilled;
        }
        return 0;
    }
}
