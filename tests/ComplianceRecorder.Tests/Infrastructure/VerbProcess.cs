using System.Diagnostics;

namespace ComplianceRecorder.Tests.Infrastructure;

/// <summary>
/// A verb as an operator runs it: its own process, output redirected (as in a script or a log),
/// settings in the environment, started in <c>dir</c> so that folder's appsettings.json and .data are the ones found.
/// </summary>
public static class VerbProcess
{
    public static async Task<(int Exit, string Output)> RunAsync(string dir, IEnumerable<string> args, IReadOnlyDictionary<string, string> settings, string? stdin = null)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ComplianceRecorder.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
        }
        p.StandardInput.Close();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        return (p.ExitCode, await stdout + await stderr);
    }
}
