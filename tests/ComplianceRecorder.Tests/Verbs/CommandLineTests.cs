using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Tests.EventStore;
using ComplianceRecorder.Tests.Infrastructure;
using ComplianceRecorder.Verbs;

namespace ComplianceRecorder.Tests.Verbs;

/// <summary>The verbs' command line: help, usage errors, and the same configuration overrides for every verb.</summary>
public sealed class CommandLineTests(Database db) : IClassFixture<Database>, IDisposable
{
    private static readonly string Key = Convert.ToBase64String([.. Enumerable.Range(3, 32).Select(i => (byte)i)]);

    // a folder of its own with an empty appsettings.json, so neither the repository's settings nor its .data are found
    private readonly string _dir = Directory.CreateTempSubdirectory("cr-verbs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Exit, string Output)> RunAsync(string[] args, IReadOnlyDictionary<string, string> settings)
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "appsettings.json"), "{}");
        return await VerbProcess.RunAsync(_dir, args, settings);
    }

    internal static async Task<(int Exit, string Output, string Error)> InvokeAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await RecorderCommandLine.InvokeAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("demo", "4", "5")]
    [InlineData("run", "4", "5")]
    [InlineData("migrate", "0", "3")]
    [InlineData("verify", "1", "2")]
    [InlineData("rebuild", "<audit|metrics>", "3")]
    [InlineData("report", "--format", "3")]
    [InlineData("redact", "stdin", "2")]
    [InlineData("emulate", "Emulator:Scenario", "3")]
    public async Task Help_on_each_verb_says_what_it_takes_and_its_exit_codes(string verb, string mentions, string code)
    {
        var (exit, output, error) = await InvokeAsync(verb, "--help");

        Assert.True(exit == 0, error);
        // in-process the program's name is the test host's
        Assert.Matches($@"Usage:\n  \S+ {verb}\b", output.ReplaceLineEndings("\n"));
        Assert.Contains(mentions, output, StringComparison.Ordinal);
        var exits = output[output.IndexOf("Exit codes:", StringComparison.Ordinal)..];
        Assert.Contains($"\n  {code}  ", exits.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("--Section:Key=value", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("verify", "--frobnicate")]
    [InlineData("report", "audit", "--format", "xml")]
    [InlineData("report", "audit", "--from", "yesterday-ish")]
    [InlineData("rebuild", "everything")]
    [InlineData("report")]
    [InlineData("verify", "--Recorder:CheckpointKey")]
    public async Task An_unknown_verb_option_or_value_exits_2_with_what_is_wrong_and_the_usage(params string[] args)
    {
        var (exit, output, error) = await InvokeAsync(args);

        Assert.Equal(RecorderCommandLine.Usage, exit);
        Assert.Equal("", output);
        var said = error.ReplaceLineEndings("\n");
        Assert.Matches(@"Usage:\n  \S+ " + (args[0] == "frobnicate" ? @"\[command\]" : args[0] + @"\b"), said);
        Assert.Contains(args[^1], said[..said.IndexOf("\n\n", StringComparison.Ordinal)], StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_are_split_from_the_verbs_own_arguments_in_both_forms()
    {
        var split = ConfigurationArguments.Split(["report", "audit", "--ConnectionStrings:EventStore", "Host=a", "--from:2026-11-24", "--Recorder:CheckpointKey=k=="], new HashSet<string> { "--from" });

        Assert.Null(split.Error);
        Assert.Equal(["report", "audit", "--from:2026-11-24"], split.Verb);
        Assert.Equal(["--ConnectionStrings:EventStore=Host=a", "--Recorder:CheckpointKey=k=="], split.Overrides);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Report_takes_a_connection_string_from_the_command_line_over_the_environment(bool equalsForm)
    {
        var before = await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'report_accessed'");
        string[] overrides = equalsForm
            ? ["--ConnectionStrings:EventStore=" + db.ConnectionString, "--Recorder:CheckpointKey=" + Key]
            : ["--ConnectionStrings:EventStore", db.ConnectionString, "--Recorder:CheckpointKey", Key];

        // the environment names a server nobody listens on: only the override reaches the test database
        var (exit, said) = await RunAsync(["report", "calls", .. overrides, "--format", "csv"],
            new Dictionary<string, string> { ["ConnectionStrings:EventStore"] = "Host=127.0.0.1;Port=1;Username=nobody;Password=x;Timeout=3" });

        Assert.True(exit == 0, said);
        Assert.StartsWith("conversation_id", said, StringComparison.Ordinal);
        Assert.Equal(before + 1, await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'report_accessed'"));
    }

    [Fact]
    public async Task Rebuild_and_verify_print_no_progress_when_their_output_is_redirected()
    {
        await db.Store().AppendAsync([.. Enumerable.Range(1, 50).Select(i => new PendingEvent(EventStoreTests.Segment("quiet-" + Guid.NewGuid(), "u1", 1, true)))]);
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:EventStore"] = db.ConnectionString,
            ["ConnectionStrings:EventStoreOwner"] = db.OwnerConnectionString,
            ["Recorder:CheckpointKey"] = Key,
        };

        var (rebuilt, rebuildSaid) = await RunAsync(["rebuild", "audit"], settings);
        var (_, verifySaid) = await RunAsync(["verify"], settings);

        Assert.True(rebuilt == 0, rebuildSaid);
        Assert.Matches(@"^(schema is up to date\n)?rebuilt audit from \d+ events in [\d.]+ s\n$", rebuildSaid.ReplaceLineEndings("\n"));
        Assert.StartsWith("verified ", verifySaid, StringComparison.Ordinal);
        foreach (var said in new[] { rebuildSaid, verifySaid })
        {
            Assert.DoesNotContain("\r", said, StringComparison.Ordinal);
            Assert.DoesNotContain("/s,", said, StringComparison.Ordinal);
        }
    }
}
