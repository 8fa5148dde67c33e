using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.EventStore;
using ComplianceRecorder.Tests.Infrastructure;
using ComplianceRecorder.Verbs;

namespace ComplianceRecorder.Tests.Verbs;

/// <summary>retention, hold, erase, tag-customer and rotate-master-key as an operator runs them.</summary>
public sealed class ComplianceVerbsTests(Database db) : IClassFixture<Database>, IDisposable
{
    private static readonly string CheckpointKey = Convert.ToBase64String(new byte[32]);

    private readonly string _dir = Directory.CreateTempSubdirectory("cr-admin-verbs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Exit, string Output)> RunAsync(string[] args, Dictionary<string, string>? extra = null, string? stdin = null)
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "appsettings.json"), "{}");
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:EventStore"] = db.ConnectionString,
            ["Recorder:CheckpointKey"] = CheckpointKey,
            ["Recorder:MasterKey"] = Convert.ToBase64String(db.MasterKey),
        };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }
        return await VerbProcess.RunAsync(_dir, args, settings, stdin);
    }

    private static Task<(int Exit, string Output, string Error)> InvokeAsync(params string[] args) => CommandLineTests.InvokeAsync(args);

    [Theory]
    [InlineData("retention set", "--days")]
    [InlineData("retention run", "held back")]
    [InlineData("hold place", "--agent")]
    [InlineData("hold lift", "hold-id")]
    [InlineData("erase", "--ticket")]
    [InlineData("tag-customer", "keyed hash")]
    [InlineData("rotate-master-key", "Recorder:RetiredMasterKeys")]
    public async Task Help_on_each_admin_verb_says_what_it_takes_and_that_a_refusal_exits_1(string verb, string mentions)
    {
        var (exit, output, error) = await InvokeAsync([.. verb.Split(' '), "--help"]);

        Assert.True(exit == 0, error);
        Assert.Matches($@"Usage:\n  \S+ {verb}\b", output.ReplaceLineEndings("\n"));
        Assert.Contains(mentions, output, StringComparison.Ordinal);
        Assert.Contains("\n  1  refused", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hold", "place", "--call", "c1", "--queue", "q1", "--reason", "r")]
    [InlineData("erase", "--call", "c1", "--reason", "r")]
    [InlineData("erase", "--reason", "r", "--ticket", "t")]
    [InlineData("retention", "set", "--days", "many")]
    [InlineData("retention")]
    public async Task An_admin_verb_missing_or_doubling_what_it_takes_exits_2(params string[] args)
    {
        var (exit, output, error) = await InvokeAsync(args);

        Assert.True(exit == RecorderCommandLine.Usage, error);
        Assert.Equal("", output);
        Assert.Contains("Usage:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policies_tags_erasure_and_rotation_from_the_command_line_are_recorded_and_a_shortening_is_refused_with_exit_1()
    {
        var (set, setSaid) = await RunAsync(["retention", "set", "--days", "30"]);
        var call = "cli-" + Guid.NewGuid().ToString("N")[..8];
        await db.SealingStore().AppendAsync([new PendingEvent(new CallStarted(call, "notifications", DateTimeOffset.UtcNow)), new PendingEvent(EventStoreTests.Segment(call, "u1", 1, true, "said by Pemberwick"))]);
        var (shorter, shorterSaid) = await RunAsync(["retention", "set", "--days", "10"]);
        var (tag, tagSaid) = await RunAsync(["tag-customer", "--call", call, "--customer", "C-1"]);
        // the identifier from standard input, typed in another case than it was tagged with
        var (erase, eraseSaid) = await RunAsync(["erase", "--customer", "-", "--reason", "art. 17", "--ticket", "DSR-9"], stdin: " c-1\n");
        var (unknown, unknownSaid) = await RunAsync(["erase", "--call", "no-such-call", "--reason", "art. 17", "--ticket", "DSR-10"]);
        var next = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var rotation = new Dictionary<string, string> { ["Recorder:MasterKey"] = next, ["Recorder:RetiredMasterKeys:0:Key"] = Convert.ToBase64String(db.MasterKey) };
        // the recorder's login may not re-wrap keys: rotation runs as the schema's owner
        var (asRecorder, asRecorderSaid) = await RunAsync(["rotate-master-key"], rotation);
        rotation["ConnectionStrings:EventStoreOwner"] = db.OwnerConnectionString;
        var (rotate, rotateSaid) = await RunAsync(["rotate-master-key"], rotation);

        Assert.True(set == 0, setSaid);
        Assert.True(shorter == ComplianceVerbs.Refused, shorterSaid);
        Assert.Contains("from 30 to 10 days is refused", shorterSaid, StringComparison.Ordinal);
        Assert.True(tag == 0, tagSaid);
        Assert.True(erase == 0, eraseSaid);
        Assert.Contains("erased: 1 call(s)", eraseSaid, StringComparison.Ordinal);
        Assert.True(unknown == ComplianceVerbs.Refused, unknownSaid);
        Assert.Contains("no recorded call 'no-such-call'", unknownSaid, StringComparison.Ordinal);
        // the call's key is gone; the customer-id key is the one left to re-wrap
        Assert.True(asRecorder == 3, asRecorderSaid);
        Assert.Contains("ConnectionStrings:EventStoreOwner", asRecorderSaid, StringComparison.Ordinal);
        Assert.True(rotate == 0, rotateSaid);
        Assert.Contains("retired master keys may now be removed", rotateSaid, StringComparison.Ordinal);
        Assert.Contains("re-wrapped 1 data key(s)", rotateSaid, StringComparison.Ordinal);
        Assert.Equal("call_erased", await db.ScalarAsync<string>($"SELECT destroyed_by FROM data_keys WHERE key_id = '{call}'"));
        Assert.Equal(7L, await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'report_accessed' AND data->>'who' LIKE 'cli:%'"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE data::text LIKE '%Pemberwick%' OR data::text LIKE '%C-1%'"));
    }
}
