using System.Diagnostics;
using System.Globalization;
using ComplianceRecorder.Development;
using ComplianceRecorder.Simulation;

// dotnet run --project tests/ComplianceRecorder.Simulation -- simulate --seeds 200
//   … --from-seed N --count M      a range of seeds
//   … --seed N                     replay one seed (the same scenario and fault schedule)
//   … --minutes M                  stop starting new seeds after M minutes
//   … --plan                       print the seeds' plans (calls and fault schedules) without running them
var options = args.SkipWhile(a => a == "simulate").ToArray();
string? Value(string name) => options.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
int Number(string name, int fallback) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

var from = Number("--seed", Number("--from-seed", 1));
var count = Value("--seed") is not null ? 1 : Number("--count", Number("--seeds", 20));
var budget = TimeSpan.FromMinutes(Number("--minutes", 24 * 60));

if (options.Contains("--plan"))
{
    // the plans alone, without running them
    for (var seed = from; seed < from + count; seed++)
    {
        Console.Write(SimulationPlan.Generate(seed).Describe());
    }
    return 0;
}

// not the test suite's prefix: its sweep would take this folder while the fault schedule has the server stopped
var dir = Path.Combine(Path.GetTempPath(), "cr-sim-pg-" + Guid.NewGuid().ToString("N")[..8]);
// Ctrl+C or SIGTERM: the seed under way finishes, then the server is stopped and the summary printed
var stopping = false;
using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stopping = true; });
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stopping = true; });
var clock = Stopwatch.StartNew();
var failed = new List<int>();
var ran = 0;
await using (var postgres = await LocalPostgres.StartAsync(dir, stopOnDispose: true))
{
    var run = new SimulationRun(postgres);
    for (var seed = from; seed < from + count && clock.Elapsed < budget && !stopping; seed++)
    {
        var result = await run.RunAsync(SimulationPlan.Generate(seed));
        ran++;
        Console.Write(result.Report());
        if (!result.Clean)
        {
            failed.Add(seed);
        }
    }
}
Directory.Delete(dir, recursive: true);
Console.WriteLine($"{ran} seeds in {clock.Elapsed.TotalMinutes:F1} min: {ran - failed.Count} clean, {failed.Count} failed{(failed.Count > 0 ? ": " + string.Join(' ', failed) : "")}");
return failed.Count == 0 ? 0 : 1;
