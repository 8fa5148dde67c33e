using System.Runtime.CompilerServices;
using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Testing;
using static ComplianceRecorder.Testing.ReactiveTest;

namespace ComplianceRecorder.Tests.Testing;

/// <summary>The README's "Testing your timing rules" example, and the check that the README still shows it word for word.</summary>
public sealed class TimingRuleExampleTests
{
    [Fact]
    public void A_held_final_is_released_unchanged_when_the_hold_runs_out()
    {
        var call = Call.Script("conv-1")
            .At(100).Final("it is 1234")                         // more digits may follow: held
            .At(900).Final("one moment please", Speakers.Agent)  // another speaker: not held, releases nothing
            .At(5_000).End();

        var run = PipelineRun.Start(new PipelineOptions { HoldUnsettled = 2.Seconds() }, call);

        run.Messages.Of((SegmentRecorded s) => s.Text).AssertEqual(
            OnNext(900, "one moment please"),
            OnNext(2_100, "it is 1234"));
    }

    [Fact]
    public void The_readme_example_is_that_test_word_for_word()
    {
        var source = File.ReadAllText(ThisFile()).ReplaceLineEndings("\n");
        var readme = File.ReadAllLines(Path.Combine(RepositoryRoot(), "README.md"));
        var section = Array.IndexOf(readme, "## Testing your timing rules");
        Assert.True(section >= 0, "the README has no \"Testing your timing rules\" section");
        var open = Array.IndexOf(readme, "```csharp", section);
        var close = Array.IndexOf(readme, "```", open + 1);
        Assert.True(open > section && close > open, "the section has no csharp block");
        var block = readme[(open + 1)..close];

        foreach (var line in block.TakeWhile(l => l.StartsWith("using ", StringComparison.Ordinal)))
        {
            Assert.Contains(line + "\n", source, StringComparison.Ordinal);
        }
        // the method as it stands in this class, one level in
        var method = block.SkipWhile(l => l != "[Fact]").Select(l => l.Length == 0 ? "" : "    " + l).ToList();
        Assert.NotEmpty(method);
        Assert.Contains(string.Join('\n', method) + "\n", source, StringComparison.Ordinal);
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(Path.GetDirectoryName(ThisFile())!);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ComplianceRecorder.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("ComplianceRecorder.sln not found above " + ThisFile());
    }
}
