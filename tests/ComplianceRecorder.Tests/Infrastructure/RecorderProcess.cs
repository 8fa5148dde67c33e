using System.Diagnostics;
using System.Text;

namespace ComplianceRecorder.Tests.Infrastructure;

/// <summary>
/// The recorder as its own operating-system process (`run`), so a test can kill it outright with
/// SIGKILL, or stop it with SIGTERM, as an operator or the kernel would.
/// </summary>
public sealed class RecorderProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private RecorderProcess(Process process) => _process = process;

    public int Id => _process.Id;

    /// <summary>What the process printed, for a failing test's message.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>What `run` needs against an emulator and a test database: its URLs and credentials, a key, a port of its own.</summary>
    public static Dictionary<string, string> Settings(ComplianceRecorder.Emulator.GenesysEmulator emulator, string connectionString) => new()
    {
        ["ConnectionStrings:EventStore"] = connectionString,
        ["Recorder:Url"] = "http://127.0.0.1:0",
        ["Recorder:CheckpointKey"] = Convert.ToBase64String(new byte[32]),
        ["Recorder:MasterKey"] = Convert.ToBase64String(new byte[32]),
        // never the repository's .data/spill: a stop with the store down would hand its events to the next test
        ["Recorder:SpillDirectory"] = Path.Combine(Path.GetTempPath(), "cr-spill-" + Guid.NewGuid().ToString("N")),
        ["Genesys:LoginBaseUrl"] = emulator.BaseUri.ToString(),
        ["Genesys:ApiBaseUrl"] = emulator.BaseUri.ToString(),
        ["Genesys:ClientId"] = "emulator-client",
        ["Genesys:ClientSecret"] = "emulator-secret",
        ["Genesys:QueueIds:0"] = emulator.Scenario.QueueId,
        ["Auth:Keys:0:Name"] = "ops",
        ["Auth:Keys:0:Sha256"] = ComplianceRecorder.Web.AccessControl.Hash("ops-key-for-tests"),
        ["Auth:Keys:0:Role"] = "auditor",
    };

    public static RecorderProcess Start(IReadOnlyDictionary<string, string> settings)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "ComplianceRecorder.dll");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("run");
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        var process = new Process { StartInfo = info };
        var recorder = new RecorderProcess(process);
        process.OutputDataReceived += (_, e) => recorder.Append(e.Data);
        process.ErrorDataReceived += (_, e) => recorder.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return recorder;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    /// <summary>SIGKILL: no handler runs, nothing is drained or flushed.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then waits for the drain and the exit.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>Waits for the process to end on its own; a timeout's message carries what it printed.</summary>
    public async Task<int> ExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"the recorder did not exit within {timeout}; it printed:\n{Output}", e);
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
