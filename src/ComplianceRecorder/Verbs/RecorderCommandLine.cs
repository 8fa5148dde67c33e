using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Globalization;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.EventStore.Schema;
using ComplianceRecorder.ReadSide;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Verbs;

/// <summary>
/// The verbs on System.CommandLine: each with its arguments, its help and its exit codes. The
/// configuration (appsettings.json, then Section__Key environment variables, then <c>--Section:Key</c>
/// overrides) is built by <see cref="Settings.Load"/> the same way for every verb.
/// </summary>
internal static class RecorderCommandLine
{
    /// <summary>The arguments do not parse: an unknown verb, option or value. Usage goes to stderr.</summary>
    public const int Usage = 2;

    /// <summary>A setting is missing or wrong, or the store's schema differs from this build's; the message names which.</summary>
    public const int BadSetting = 3;

    private const string Configuration = """
        Every verb takes --Section:Key value or --Section:Key=value for any setting of appsettings.json
        (README, Configuration); environment variables Section__Key do the same. The command line wins
        over the environment, which wins over appsettings.json.
        """;

    private static readonly (int Code, string Meaning) UsageExit = (Usage, "usage: an unknown verb, option or value");
    private static readonly (int Code, string Meaning) SettingExit = (BadSetting, "a bad setting or a store schema that differs from this build's (the message names it)");

    public static async Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error)
    {
        var exits = new Dictionary<Command, (int Code, string Meaning)[]>();
        string[] overrides = [];
        // the verbs' option names tell a setting from an option, so the tree is built before the split it reads
        var root = Build(exits, () => overrides);
        var split = ConfigurationArguments.Split(args, OptionNames(root));
        overrides = split.Overrides;

        foreach (var option in root.Options)
        {
            if (option is HelpOption { Action: HelpAction action } help)
            {
                help.Action = new HelpWithNotes(action, exits);
            }
        }

        var parsed = root.Parse(split.Verb);
        var errors = parsed.Errors.Select(e => e.Message).ToList();
        if (split.Error is not null)
        {
            errors.Insert(0, split.Error);
        }
        // --help is answered even when the rest would not parse (`report --help` names no report)
        if (errors.Count > 0 && parsed.Action is not HelpWithNotes)
        {
            foreach (var e in errors)
            {
                await error.WriteLineAsync(e).ConfigureAwait(false);
            }
            await error.WriteLineAsync().ConfigureAwait(false);
            // the help of the verb that was meant (or of all), on stderr
            root.Parse([.. Path(parsed.CommandResult.Command, root), "--help"]).Invoke(new InvocationConfiguration { Output = error });
            return Usage;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = output,
                Error = error,
                // demo, run and emulate stop on Ctrl+C and SIGTERM themselves, after draining; a default handler would cut that short
                ProcessTerminationTimeout = null,
                // a failure other than a setting's is a crash with its stack trace, not an exit code a script could take for "broken"
                EnableDefaultExceptionHandler = false,
            }).ConfigureAwait(false);
        }
        catch (SettingsException e)
        {
            await error.WriteLineAsync("configuration error: " + e.Message).ConfigureAwait(false);
            return BadSetting;
        }
        catch (MigrationException e)
        {
            await error.WriteLineAsync("schema error: " + e.Message).ConfigureAwait(false);
            return BadSetting;
        }
    }

    private static RootCommand Build(Dictionary<Command, (int, string)[]> exits, Func<string[]> overrides)
    {
        IConfiguration config() => Settings.Load(overrides());

        Command Verb(string name, string description, (int, string)[] codes)
        {
            var command = new Command(name, description);
            exits[command] = codes;
            return command;
        }

        var serviceExits = new[]
        {
            (0, "stopped cleanly (Ctrl+C or SIGTERM: intake stopped, the pipeline drained, everything committed)"),
            UsageExit,
            SettingExit,
            (ExitCodes.RecordingFailed, "recording stopped on its own: the source or the store failed for good (the message says why)"),
            (ExitCodes.Spilled, "stopped with the store unreachable: events were spilled, and the next start appends them first"),
        };
        var demo = Verb("demo", "Records the embedded Genesys emulator's scripted calls (Emulator:*), into a private PostgreSQL cluster unless ConnectionStrings:EventStore is set, and serves the live-captions page; prints its address with a one-run auditor key.", serviceExits);
        demo.SetAction(_ => Service.RunAsync(overrides(), demo: true));

        var run = Verb("run", "Records a real Genesys Cloud org (Genesys:*), serving the captions page and API to the keys in Auth:Keys.", serviceExits);
        run.SetAction(_ => Service.RunAsync(overrides(), demo: false));

        var migrate = Verb("migrate", "Applies the pending migrations as the schema's owner (ConnectionStrings:EventStoreOwner), then exits.",
            [(0, "the schema is up to date"), UsageExit, SettingExit]);
        migrate.SetAction(_ => StoreVerbs.MigrateAsync(config()));

        var verify = Verb("verify", "Reads the store and changes nothing: recomputes every stream's hash chain, checks the signed checkpoints and store anchors against the configured keys, and compares every projection row with a replay of the events. Shows progress on a terminal.",
        [
            (0, "everything verified, signatures included"),
            (StoreVerbs.Broken, "something is broken: the first broken event of each stream, each broken anchor, the first differing row of each table are printed"),
            (StoreVerbs.Unsigned, "nothing broken, but not verified: no checkpoint key is configured, or the schema is behind this build (run migrate); also usage errors"),
            SettingExit,
        ]);
        verify.SetAction(_ => StoreVerbs.VerifyAsync(config(), TerminalProgress.ForConsole("verify")));

        var projection = new Argument<string>("projection")
        {
            Description = "the projection to rebuild",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => "audit",
        };
        projection.AcceptOnlyFromAmong(Rebuilder.Projections);
        var rebuild = Verb("rebuild", "As the schema's owner, truncates a projection and replays every event through the same SQL that writes it live. Shows progress on a terminal.",
            [(0, "rebuilt"), UsageExit, SettingExit]);
        rebuild.Add(projection);
        rebuild.SetAction(r => StoreVerbs.RebuildAsync(config(), r.GetValue(projection)!, TerminalProgress.ForConsole("rebuild " + r.GetValue(projection))));

        var kind = new Argument<string>("kind") { Description = "the projection to read" };
        kind.AcceptOnlyFromAmong(ReportRequest.Kinds);
        var call = new Option<string>("--call") { Description = "one call (conversation id)" };
        var from = Time("--from", "from this time on (e.g. 2026-11-24 or 2026-11-24T10:00:00Z; UTC unless an offset is given)");
        var to = Time("--to", "before this time");
        var flag = new Option<string>("--flag") { Description = "audit rows with this compliance flag" };
        flag.AcceptOnlyFromAmong("PII_REDACTED", "CLEAN");
        var format = new Option<string>("--format") { Description = "the output format", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "jsonl", "json");
        var report = Verb("report", "Reads a projection of the configured store (or of the private cluster, started if need be); each use is recorded, and signed, as an access event naming the OS user.",
            [(0, "written to stdout"), UsageExit, SettingExit]);
        report.Add(kind);
        foreach (var option in new Option[] { call, from, to, flag, format })
        {
            report.Add(option);
        }
        report.SetAction(r => ReportVerb.RunAsync(config(),
            new ReportRequest(r.GetValue(kind)!, r.GetValue(call), r.GetValue(from), r.GetValue(to), r.GetValue(flag)),
            Report.ParseFormat(r.GetValue(format), ReportFormat.Table)));

        var redact = Verb("redact", "JSON lines on stdin, JSON lines on stdout, one for one and in order (../shared/eval/README.md); entities are offsets in the redacted text. A malformed line yields {\"line\": N, \"error\": \"line N: ...\"} and the rest still runs.",
            [(0, "all input read"), UsageExit, SettingExit]);
        redact.SetAction(_ => RedactVerb.RunAsync(Console.In, Console.Out, RedactVerb.Options(config())));

        var emulate = Verb("emulate", "The Genesys emulator alone (Emulator:Scenario, :Speed, :Seed, :Loop, :Port), for trying run against it or for load runs that keep its work out of the recorder's process. Ctrl+C stops it.",
            [(0, "stopped by Ctrl+C or SIGTERM"), UsageExit, SettingExit]);
        emulate.SetAction(_ => EmulateVerb.RunAsync(config()));

        var root = new RootCommand("ComplianceRecorder: records live Genesys Cloud call transcripts, redacted, as hash-chained events in PostgreSQL, and serves live captions and audit reports.");
        foreach (var verb in new[] { demo, run, migrate, verify, rebuild, report, redact, emulate }.Concat(ComplianceAdminVerbs(Verb, config)))
        {
            root.Add(verb);
        }
        exits[root] =
        [
            (0, "the verb did its work (demo, run and emulate: stopped cleanly)"),
            (StoreVerbs.Broken, "verify: something is broken"),
            (Usage, "usage: an unknown verb, option or value; verify: not verified (no checkpoint key, or a schema behind this build)"),
            SettingExit,
            (ExitCodes.RecordingFailed, "demo, run: recording failed on its own"),
            (ExitCodes.Spilled, "demo, run: stopped with the store unreachable, events spilled"),
        ];
        return root;
    }

    /// <summary>The compliance administrator's verbs (#16): retention, legal holds, erasure, customer tags, master-key rotation.</summary>
    private static IEnumerable<Command> ComplianceAdminVerbs(Func<string, string, (int, string)[], Command> verb, Func<IConfiguration> config)
    {
        (int, string)[] exits =
        [
            (0, "done; what was done is printed as JSON"),
            (ComplianceVerbs.Refused, "refused: a shortened policy that would shred calls before their term, an unknown call or hold, a missing reason (the message says why)"),
            UsageExit,
            SettingExit,
        ];
        Option<string> Text(string name, string description, bool required = false) => new(name) { Description = description, Required = required };
        static void ExactlyOne(Command command, params Option<string>[] options) => command.Validators.Add(r =>
        {
            if (options.Count(o => r.GetResult(o) is not null) != 1)
            {
                r.AddError($"give exactly one of {string.Join(", ", options.Select(o => o.Name))}");
            }
        });

        var retention = verb("retention", "Retention policies (per queue, and a default): the age in days after which a call's data key is destroyed and its text reads [expired]. Lengthening is always allowed; shortening is refused while calls under the policy would be shredded before their term.", exits);
        var run = verb("run", "Destroys the keys of every call past its policy's term and under no legal hold, each as a call_expired event; prints what expired and what was held back. The recorder's hosted job does the same every Retention:IntervalMinutes.", exits);
        run.SetAction(_ => ComplianceVerbs.RetentionRunAsync(config()));
        var days = new Option<int>("--days") { Description = "days from a call's start", Required = true };
        var queue = Text("--queue", "the queue id; without it, the default policy");
        var set = verb("set", "Sets a queue's policy, or the default.", exits);
        set.Add(days);
        set.Add(queue);
        set.SetAction(r => ComplianceVerbs.RetentionSetAsync(config(), r.GetValue(queue), r.GetValue(days)));
        var show = verb("show", "Prints the policies in force.", exits);
        show.SetAction(_ => ComplianceVerbs.RetentionShowAsync(config()));
        retention.Add(run);
        retention.Add(set);
        retention.Add(show);

        var hold = verb("hold", "Legal holds by call, agent or queue: a held call is never shredded by retention or erasure.", exits);
        var holdCall = Text("--call", "a conversation id");
        var holdAgent = Text("--agent", "an agent (user) id, as the call's events name it");
        var holdQueue = Text("--queue", "a queue id, as the call's events name it");
        var reason = Text("--reason", "why (recorded with who and when)", required: true);
        var place = verb("place", "Places a hold; prints it with its id.", exits);
        foreach (var o in new[] { holdCall, holdAgent, holdQueue, reason })
        {
            place.Add(o);
        }
        ExactlyOne(place, holdCall, holdAgent, holdQueue);
        place.SetAction(r => ComplianceVerbs.HoldPlaceAsync(config(),
            r.GetValue(holdCall) is not null ? "call" : r.GetValue(holdAgent) is not null ? "agent" : "queue",
            r.GetValue(holdCall) ?? r.GetValue(holdAgent) ?? r.GetValue(holdQueue)!, r.GetValue(reason)!));
        var holdId = new Argument<string>("hold-id") { Description = "the id `hold place` printed" };
        var liftReason = Text("--reason", "why (recorded with who and when)", required: true);
        var lift = verb("lift", "Lifts a standing hold.", exits);
        lift.Add(holdId);
        lift.Add(liftReason);
        lift.SetAction(r => ComplianceVerbs.HoldLiftAsync(config(), r.GetValue(holdId)!, r.GetValue(liftReason)!));
        var list = verb("list", "Prints the standing holds.", exits);
        list.SetAction(_ => ComplianceVerbs.HoldListAsync(config()));
        hold.Add(place);
        hold.Add(lift);
        hold.Add(list);

        var eraseCall = Text("--call", "a conversation id");
        var eraseCustomer = Text("--customer", "a customer identifier calls were tagged with (tag-customer); matched by its keyed hash, never stored; - reads it from standard input, out of the process list and shell history");
        var why = Text("--reason", "why (the legal basis)", required: true);
        var ticket = Text("--ticket", "the request's ticket reference", required: true);
        var erase = verb("erase", "Erasure by crypto-shredding: destroys the data keys of the matching calls not under hold, each as a call_erased event (who, why, ticket); prints what was erased and what was held back.", exits);
        foreach (var o in new[] { eraseCall, eraseCustomer, why, ticket })
        {
            erase.Add(o);
        }
        ExactlyOne(erase, eraseCall, eraseCustomer);
        erase.SetAction(r => ComplianceVerbs.EraseAsync(config(), r.GetValue(eraseCall), FromStdinIfDash(r.GetValue(eraseCustomer)), r.GetValue(why)!, r.GetValue(ticket)!));

        var tagCall = Text("--call", "a conversation id", required: true);
        var tagCustomer = Text("--customer", "the customer identifier (stored only as its keyed hash); - reads it from standard input", required: true);
        var tag = verb("tag-customer", "Ties a recorded call to a customer identifier, as a customer_tagged event, so that an erasure by customer finds it.", exits);
        tag.Add(tagCall);
        tag.Add(tagCustomer);
        tag.SetAction(r => ComplianceVerbs.TagCustomerAsync(config(), r.GetValue(tagCall)!, FromStdinIfDash(r.GetValue(tagCustomer))!));

        var rotate = verb("rotate-master-key", "Re-wraps every data key wrapped by a retired master key (Recorder:RetiredMasterKeys) with the current one (Recorder:MasterKey); events are not touched.", exits);
        rotate.SetAction(_ => ComplianceVerbs.RotateMasterKeyAsync(config()));
        return [retention, hold, erase, tag, rotate];
    }

    // A customer identifier is personal data: "-" keeps it out of argv, which any local user can read in /proc.
    private static string? FromStdinIfDash(string? value) => value == "-" ? Console.In.ReadLine() ?? "" : value;

    private static Option<DateTimeOffset?> Time(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            try
            {
                return Report.ParseTime(result.Tokens[0].Value, name);
            }
            catch (ArgumentException e)
            {
                result.AddError(e.Message);
                return null;
            }
        },
    };

    private static HashSet<string> OptionNames(Command root)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var command in Descendants(root))
        {
            foreach (var option in command.Options)
            {
                names.Add(option.Name);
                names.UnionWith(option.Aliases);
            }
        }
        return names;
    }

    private static IEnumerable<Command> Descendants(Command command) => command.Subcommands.SelectMany(Descendants).Prepend(command);

    private static IEnumerable<string> Path(Command command, RootCommand root)
    {
        if (command == root)
        {
            return [];
        }
        var parent = Descendants(root).First(c => c.Subcommands.Contains(command));
        return [.. Path(parent, root), command.Name];
    }

    /// <summary>System.CommandLine's help, then what it has no section for: the verb's exit codes and the configuration overrides.</summary>
    private sealed class HelpWithNotes(HelpAction help, Dictionary<Command, (int Code, string Meaning)[]> exits) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var exit = help.Invoke(parseResult);
            var output = parseResult.InvocationConfiguration.Output;
            if (exits.TryGetValue(parseResult.CommandResult.Command, out var codes))
            {
                output.WriteLine("Exit codes:");
                var width = codes.Max(c => c.Code.ToString(CultureInfo.InvariantCulture).Length);
                foreach (var (code, meaning) in codes)
                {
                    output.WriteLine($"  {code.ToString(CultureInfo.InvariantCulture).PadRight(width)}  {meaning}");
                }
                output.WriteLine();
            }
            output.WriteLine("Configuration:");
            foreach (var line in Configuration.Split('\n'))
            {
                output.WriteLine("  " + line);
            }
            return exit;
        }
    }
}
