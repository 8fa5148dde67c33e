using ComplianceRecorder.Pipeline;
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
            .At(1_000).Final("let me check that for you", Speakers.Agent)
            // the question is said while the socket is down
            .SocketDrop(TimeSpan.FromSeconds(3))
            .At(5_000).Final("six three seven", Speakers.Customer)
            .At(6_000).Final("and what's the order number on the receipt?", Speakers.Agent)
            .At(8_000).Final("it's four five six", Speakers.Customer)
            .At(9_000).End());

        Assert.Equal(["let me check that for you", "[NUMBER]", "and what's the order number on the receipt?", "it's four five six"], Finals(run));
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
            .At(1_000).Final("let me check that for you", Speakers.Agent)
            .At(5_000).Final("six three seven", Speakers.Customer)
            .At(9_000).End());

        Assert.Equal(["let me check that for you", "six three seven"], Finals(run));
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

    [Fact]
    public void An_answer_that_comes_while_the_agents_question_has_partials_and_no_final_is_masked()
    {
        // the question's final is lost: the gap that says so comes only with the agent's next final, after the answer
        var run = PipelineRun.Start(Call.Script("call-1")
            .At(1_000).Final("let me check that for you", Speakers.Agent)
            .At(2_000).Partial("and the three digits", Speakers.Agent)
            .At(4_000).Final("six three seven", Speakers.Customer)
            .At(6_000).Final("thank you", Speakers.Agent, utterance: "later")
            .At(9_000).End());

        Assert.Contains("[NUMBER]", Finals(run));
        Assert.DoesNotContain(Finals(run), f => f.Contains("six", StringComparison.Ordinal));
    }

    [Fact]
    public void After_a_gap_a_code_said_with_magnitude_words_or_across_two_finals_is_masked_each_time()
    {
        var run = PipelineRun.Start(Call.Script("call-1")
            .At(1_000).Final("let me check that for you", Speakers.Agent)
            .SocketDrop(TimeSpan.FromSeconds(3))
            .At(5_000).Final("six hundred thirty seven", Speakers.Customer)
            .At(6_000).Final("forty two", Speakers.Customer)
            .At(7_000).Final("seventeen", Speakers.Customer)
            .At(9_000).End());

        Assert.Equal(["let me check that for you", "[NUMBER]", "[NUMBER]", "[NUMBER]"], Finals(run));
    }

    [Fact]
    public void A_dialect_that_does_not_tell_the_speakers_apart_masks_bare_numbers_until_four_finals_without_one_not_the_whole_call()
    {
        var run = PipelineRun.Start(Call.Script("call-1", Dialect.Media)
            .At(1_000).Final("hello")
            .Gap()
            .At(2_000).Final("one two three")
            .At(3_000).Final("four five six")
            .At(4_000).Final("okay")
            .At(5_000).Final("right")
            .At(6_000).Final("sure")
            .At(7_000).Final("fine")
            .At(8_000).Final("seven eight nine")
            .At(9_000).End());

        Assert.Equal(["hello", "[NUMBER]", "[NUMBER]", "okay", "right", "sure", "fine", "seven eight nine"], Finals(run));
    }

    [Fact]
    public void After_a_gap_the_customers_fifth_final_is_still_masked_when_the_agent_has_not_been_heard()
    {
        var run = PipelineRun.Start(Call.Script("call-1")
            .At(1_000).Final("let me check that for you", Speakers.Agent)
            .SocketDrop(TimeSpan.FromSeconds(3))
            .At(5_000).Final("sure", Speakers.Customer)
            .At(6_000).Final("one moment", Speakers.Customer)
            .At(7_000).Final("okay", Speakers.Customer)
            .At(8_000).Final("right", Speakers.Customer)
            .At(9_000).Final("six three seven", Speakers.Customer)
            .At(12_000).End());

        Assert.Equal("[NUMBER]", Finals(run)[^1]);
    }

    [Fact]
    public void An_agent_reading_back_an_answer_masked_while_the_question_had_no_final_shows_it_in_no_partial_nor_final()
    {
        var run = PipelineRun.Start(Call.Script("call-1")
            .At(1_000).Final("let me check that for you", Speakers.Agent)
            .At(2_000).Partial("and the three digits", Speakers.Agent)
            .At(4_000).Final("six three seven", Speakers.Customer)
            .At(5_000).Partial("six three seven", Speakers.Agent, utterance: "readback")
            .At(5_500).Final("six three seven thank you", Speakers.Agent, utterance: "readback")
            .At(9_000).End());

        var texts = run.Events.OfType<SegmentRecorded>().Select(s => s.Text).ToList();
        Assert.DoesNotContain(texts, t => t.Contains("six", StringComparison.Ordinal));
        Assert.Contains("[NUMBER] thank you", texts);
    }

    [Fact]
    public void A_card_read_in_two_breaths_while_the_question_had_no_final_is_masked_in_both()
    {
        var run = PipelineRun.Start(Call.Script("call-1")
            .At(1_000).Final("let me check that for you", Speakers.Agent)
            .At(2_000).Partial("can I have the long number", Speakers.Agent)
            .At(4_000).Final("okay", Speakers.Customer)
            .At(5_000).Final("4539 1488", Speakers.Customer)
            .At(6_000).Final("0343 6467", Speakers.Customer)
            .At(12_000).End());

        Assert.DoesNotContain(run.Events.OfType<SegmentRecorded>(), s => s.Text.Any(char.IsAsciiDigit));
    }

    [Fact]
    public void A_cards_last_four_kept_by_the_setting_is_still_shown_after_a_gap()
    {
        var run = PipelineRun.Start(new PipelineOptions { Redaction = new() { KeepCardLastFour = true } }, Call.Script("call-1")
            .At(1_000).Final("let me check that for you", Speakers.Agent)
            .SocketDrop(TimeSpan.FromSeconds(3))
            .At(5_000).Final("it's the visa card ending in 4242", Speakers.Customer)
            .At(9_000).End());

        Assert.Equal(["let me check that for you", "it's the visa card ending in 4242"], Finals(run));
    }
}
