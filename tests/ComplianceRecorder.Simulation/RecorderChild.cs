using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ComplianceRecorder.Simulation;

/// <summary>
/// One recorder process (`run`) of a simulation: its every output line kept for the oracle's log scan, the
/// captions it serves read from its SSE stream as they come, and whether it ended because it was told to.
/// </summary>
public sealed partial class RecorderChild : IAsyncDisposable
{
    public const string ApiKey = "sim-auditor-key";

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<string> _captions = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<Uri> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _feed = Task.CompletedTask;

    private RecorderChild(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public int Id => _process.Id;

    /// <summary>Set before a kill or a SIGTERM: an exit without it is the process ending on its own.</summary>
    public bool Told { get; private set; }

    /// <summary>The process had ended before anyone told it to: it faulted or gave up.</summary>
    public bool EndedOnItsOwn { get; private set; }

    public bool Killed { get; private set; }

    /// <summary>Told to stop with SIGTERM: its exit code then, or null if it had not ended 30 s later.</summary>
    public bool Terminated { get; private set; }

    public int? ExitAfterTerm { get; private set; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public IReadOnlyList<string> Captions
    {
        get
        {
            lock (_captions)
            {
                return [.. _captions];
            }
        }
    }

    /// <summary>The recorder's program with a verb, configured through the environment as an operator would.</summary>
    public static ProcessStartInfo Verb(string verb, IReadOnlyDictionary<string, string> settings)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ComplianceRecorder.dll"));
        info.ArgumentList.Add(verb);
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        return info;
    }

    public static RecorderChild Start(string name, IReadOnlyDictionary<string, string> settings)
    {
        var child = new RecorderChild(new Process { StartInfo = Verb("run", settings) }, name);
        child._process.OutputDataReceived += (_, e) => child.Append(e.Data);
        child._process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        child._process.Start();
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        child._feed = Task.Run(child.ReadCaptionsAsync);
        return child;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lines)
        {
            _lines.Add(line);
        }
        if (Address().Match(line) is { Success: true } m)
        {
            _url.TrySetResult(new Uri(m.Groups[1].Value));
        }
    }

    /// <summary>The recorder's address, once it has printed it; null if it ended first or took too long.</summary>
    public async Task<Uri?> UrlAsync(TimeSpan timeout)
    {
        try
        {
            await Task.WhenAny(_url.Task, _process.WaitForExitAsync(_stop.Token)).WaitAsync(timeout, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            return null;
        }
        return _url.Task.IsCompletedSuccessfully ? _url.Task.Result : null;
    }

    /// <summary>Every caption the recorder serves live, as the page would get it.</summary>
    private async Task ReadCaptionsAsync()
    {
        if (await UrlAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false) is not { } url)
        {
            return;
        }
        using var http = new HttpClient { BaseAddress = url, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        try
        {
            using var response = await http.GetAsync(new Uri("/api/captions/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, _stop.Token).ConfigureAwait(false);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token).ConfigureAwait(false));
            while (await reader.ReadLineAsync(_stop.Token).ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    lock (_captions)
                    {
                        _captions.Add(line[5..]);
                    }
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            // the process ended or was ended: what was read stands
        }
    }

    public async Task KillAsync()
    {
        Tell();
        Killed = !EndedOnItsOwn;
        if (!_process.HasExited)
        {
            _process.Kill();
        }
        await _process.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// SIGTERM once the recorder is up (a signal before its handler is installed only shows the runtime's
    /// default), then the exit code; null if the process had not ended within <paramref name="timeout"/>
    /// (it is then killed). With <paramref name="captionsOpen"/> false the caption stream is closed first,
    /// as when nobody has the page open.
    /// </summary>
    public async Task<int?> TerminateAsync(TimeSpan timeout, bool captionsOpen = true)
    {
        await UrlAsync(timeout).ConfigureAwait(false);
        if (!captionsOpen)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _feed.ConfigureAwait(false);
        }
        Tell();
        if (_process.HasExited)
        {
            return _process.ExitCode;
        }
        Terminated = true;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout).ConfigureAwait(false);
            ExitAfterTerm = _process.ExitCode;
            return _process.ExitCode;
        }
        catch (TimeoutException)
        {
            _process.Kill();
            await _process.WaitForExitAsync().ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Noted as ended by whoever watches it; an exit before this is the process ending on its own.</summary>
    public void Acknowledge() => Tell();

    private void Tell()
    {
        if (!Told)
        {
            Told = true;
            EndedOnItsOwn = _process.HasExited;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _feed.ConfigureAwait(false);
        _process.Dispose();
        _stop.Dispose();
    }

    [GeneratedRegex(@"Live captions: (http://\S+?)/?(?:\?|\s|$)")]
    private static partial Regex Address();
}
