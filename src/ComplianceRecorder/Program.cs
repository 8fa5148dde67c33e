using ComplianceRecorder.Verbs;

// demo, run, migrate, verify, rebuild, report, redact, emulate: `--help` on each says what it does and its exit codes.
return await RecorderCommandLine.InvokeAsync(args, Console.Out, Console.Error);
