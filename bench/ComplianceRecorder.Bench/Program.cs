using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/ComplianceRecorder.Bench -- --filter '*Redaction*'   (BenchmarkDotNet)
// dotnet run -c Release --project bench/ComplianceRecorder.Bench -- store [events] [rebuild-events] [committer-connections]   (BENCH_STORE_PARTS=abcpdm)
// dotnet run -c Release --project bench/ComplianceRecorder.Bench -- load {calls} [seconds] [speed] | idle {calls}
// dotnet run -c Release --project bench/ComplianceRecorder.Bench -- page [speed]   (frame → caption on screen, in Chromium)
// dotnet run -c Release --project bench/ComplianceRecorder.Bench -- retention [events] [calls-to-shred]
// dotnet run -c Release --project bench/ComplianceRecorder.Bench -- audiohook [concurrent ...]   (WER, real-time factor, speech end → caption)
// dotnet run -c Release --project bench/ComplianceRecorder.Bench -- instances [calls] [seconds] [kills]   (several recorder processes on one PostgreSQL, #15)
if (args is ["store", ..]) { await ComplianceRecorder.Bench.StoreBench.RunAsync(args); return; }
if (args is ["retention", ..]) { await ComplianceRecorder.Bench.RetentionBench.RunAsync(args); return; }
if (args is ["load" or "idle", _, ..]) { await ComplianceRecorder.Bench.LoadBench.RunAsync(args); return; }
if (args is ["audiohook", ..]) { await ComplianceRecorder.Bench.AudioHookBench.RunAsync(args); return; }
if (args is ["page", ..]) { await ComplianceRecorder.Bench.PageBench.RunAsync(args); return; }
if (args is ["instances", ..]) { await ComplianceRecorder.Bench.InstancesBench.RunAsync(args); return; }
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
