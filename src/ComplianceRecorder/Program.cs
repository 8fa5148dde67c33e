using ComplianceRecorder;
using ComplianceRecorder.Verbs;

// The verbs: demo (emulator + everything), run (real Genesys), migrate, redact, verify, rebuild, report, emulate (the emulator alone).
var verb = args.Length > 0 ? args[0] : "help";
var rest = args.Length > 1 ? args[1..] : [];
try
{
    return verb switch
    {
        "demo" => await Service.RunAsync(rest, demo: true),
        "run" => await Service.RunAsync(rest, demo: false),
        "migrate" => await StoreVerbs.MigrateAsync(rest),
        "verify" => await StoreVerbs.VerifyAsync(rest),
        "rebuild" => await StoreVerbs.RebuildAsync(rest),
        "redact" => await RedactVerb.RunAsync(Console.In, Console.Out),
        "emulate" => await EmulateVerb.RunAsync(rest),
        "report" => await ReportVerb.RunAsync(rest),
        _ => Usage(),
    };
}
catch (SettingsException e)
{
    await Console.Error.WriteLineAsync("configuration error: " + e.Message);
    return 3;
}
catch (ComplianceRecorder.EventStore.Schema.MigrationException e)
{
    await Console.Error.WriteLineAsync("schema error: " + e.Message);
    return 3;
}

static int Usage()
{
    Console.Error.WriteLine("usage: ComplianceRecorder demo|run|migrate|verify|rebuild [audit|metrics]|redact|report audit|calls|metrics|emulate");
    return 2;
}
