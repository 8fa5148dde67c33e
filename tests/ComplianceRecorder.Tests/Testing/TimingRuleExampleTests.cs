using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Testing;
using static ComplianceRecorder.Testing.ReactiveTest;

namespace ComplianceRecorder.Tests.Testing;

/// <summary>The README's "Testing your timing rules" example, verbatim: if this changes, the README changes with it.</summary>
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
}
