using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/ComplianceRecorder.Bench -- --filter '*Redaction*'   (BenchmarkDotNet)
// dotnet run -c Release --project bench/ComplianceRecorder.Bench -- store [events] [rebuild-events]
if (args is ["store", ..]) { await ComplianceRecorder.Bench.StoreBench.RunAsync(args); return; }
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
