using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/ComplianceRecorder.Bench -- --filter '*Redaction*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
