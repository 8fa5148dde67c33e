using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Testing;

namespace ComplianceRecorder.Tests.Pipeline;

/// <summary>
/// A number whose question went unheard: a listener who missed "and the three digits on the back?" does not repeat
/// "six three seven". After a gap, the call's bare numbers are masked until the agent is heard again.
/// </summary>
public sealed class UnheardQuestionTests
{
    private static List<string> Finals(PipelineRun run) =>
        [.. run.Events.OfType<SegmentRecorded>().Where(s => s.IsFinal).Select(s => s.Text)];

    [Fact]
    public void A_bare_number_after_a_gap_is_masked_and_one_after_the_agent_is_heard_again_is_judged_by_the_question()
    {
        var run = PipelineRun.Start(Call.Script("call-1")
            .At(1_000).Final("thanks, I can see the account now", Speakers.Agent)
            // the question is said while the socket is down
            .SocketDrop(TimeSpan.FromSeconds(3))
            .At(5_000).Final("six three seven", Speakers.Customer)
            .At(6_000).Final("and what's the order number on the receipt?", Speakers.Agent)
            .At(8_000).Final("it's four five six", Speakers.Customer)
            .At(9_000).End());

        Assert.Equal(["thanks, I can see the account now", "[NUMBER]", "and what's the order number on the receipt?", "it's four five six"], Finals(run));
    }

    [Fact]
    public void After_a_gap_numbers_marked_harmless_where_they_are_said_are_still_shown()
    {
        var run = PipelineRun.Start(Call.Script("call-1")
            .At(1_000).Final("let me check that", Speakers.Agent)
            .SocketDrop(TimeSpan.FromSeconds(3))
            .At(5_000).Final("it was 145 dollars, in 2024, for 2 items", Speakers.Customer)
            .At(9_000).End());

        Assert.Equal(["let me check that", "it was 145 dollars, in 2024, for 2 items"], Finals(run));
    }

    [Fact]
    public void The_same_bare_number_with_nothing_unheard_is_kept_as_the_harmless_number_it_looks_like()
    {
        var run = PipelineRun.Start(Call.Script("call-1")
            .At(1_000).Final("thanks, I can see the account now", Speakers.Agent)
            .At(5_000).Final("six three seven", Speakers.Customer)
            .At(9_000).End());

        Assert.Equal(["thanks, I can see the account now", "six three seven"], Finals(run));
    }

    [Fact]
    public void A_recorder_that_first_hears_a_call_well_into_it_masks_a_bare_number_until_the_agent_is_heard()
    {
        // another instance heard the call's start: this one took it over 40 s in, with no gap of its own to say so
        var run = PipelineRun.Start(Call.Script("call-1")
            .At(1_000).Final("six three seven", Speakers.Customer, offset: 40_000)
            .At(2_000).Final("thanks, and how many items were in the order?", Speakers.Agent, offset: 41_000)
            .At(3_000).Final("one hundred and twelve", Speakers.Customer, offset: 42_000)
            .At(9_000).End());

        Assert.Equal(["[NUMBER]", "thanks, and how many items were in the order?", "one hundred and twelve"], Finals(run));
    }
}
