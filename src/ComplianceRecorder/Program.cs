using ComplianceRecorder.Verbs;

return args.Length > 0 && args[0] == "redact"
    ? await RedactVerb.RunAsync(Console.In, Console.Out)
    : 2;
