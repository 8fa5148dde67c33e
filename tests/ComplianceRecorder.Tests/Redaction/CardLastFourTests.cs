using ComplianceRecorder.Pipeline.Redaction;
using ComplianceRecorder.Verbs;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Tests.Redaction;

/// <summary>
/// A card named by its last four digits alone is masked by default; Recorder:KeepCardLastFour keeps it (PCI DSS allows them to
/// be shown), and only where they are a card's: the same digits where they may be part of a longer number, or another
/// thing's last four, are masked either way.
/// </summary>
public sealed class CardLastFourTests
{
    private static readonly RedactionOptions Keeping = new() { KeepCardLastFour = true };

    [Theory]
    [InlineData("the card ending in four two four two")]
    [InlineData("the card ending in 4242 was declined")]
    [InlineData("my visa ends with 9876, is that the one")]
    [InlineData("the last four digits of the card are 1234")]
    [InlineData("the card ending in 4242")]
    [InlineData("last four of the visa are 1234")]
    public void A_card_named_by_its_last_four_digits_alone_is_kept_when_the_setting_keeps_it(string text) =>
        Assert.Equal(text, new RedactionSession(Keeping).Redact(text, Speaker.Customer, true).Text);

    [Fact]
    public void An_agent_reading_back_the_last_four_is_kept_too()
    {
        var s = new RedactionSession(Keeping);
        s.Redact("what's the card number?", Speaker.Agent, true);
        Assert.Equal("[CARD]", s.Redact("4539 1488 0343 6467", Speaker.Customer, true).Text);
        Assert.Equal("so that's a card ending in 6467, correct?", s.Redact("so that's a card ending in 6467, correct?", Speaker.Agent, true).Text);
    }

    [Theory]
    [InlineData("the card ending in four two four two", "the card ending in [CARD]")]
    [InlineData("the last four digits of the card are 1234", "the last four digits of the card are [CARD]")]
    public void By_default_the_last_four_are_masked(string text, string expected) =>
        Assert.Equal(expected, new RedactionSession().Redact(text, Speaker.Customer, true).Text);

    [Theory]
    [InlineData("the card ending in 0343 6467", "the card ending in [CARD]")]
    [InlineData("the card ending in 4111 1111 1111 1111", "the card ending in [CARD]")]
    [InlineData("my card number is 4242", "my card number is [CARD]")]
    public void Four_digits_that_are_more_than_a_reference_by_the_last_four_are_masked(string text, string expected) =>
        Assert.Equal(expected, new RedactionSession(Keeping).Redact(text, Speaker.Customer, true).Text);

    [Fact]
    public void The_last_four_at_the_end_of_a_partial_are_masked_until_its_final_settles_them()
    {
        var s = new RedactionSession(Keeping);
        Assert.Equal("the card ending in [NUMBER]", s.Redact("the card ending in four two four two", Speaker.Customer, false).Text);
        Assert.Equal("the card ending in four two four two", s.Redact("the card ending in four two four two", Speaker.Customer, true).Text);
    }

    [Fact]
    public void The_last_four_that_a_next_final_continues_into_a_card_are_masked_in_both()
    {
        var s = new RedactionSession(Keeping);
        var first = s.Redact("the card ending in 4539", Speaker.Customer, true);
        Assert.True(first.Unsettled);
        var second = s.Redact("1488 0343 6467", Speaker.Customer, true);
        Assert.Equal("[CARD]", second.Text);
        Assert.Equal("the card ending in [CARD]", second.CorrectsPrevious?.Text);
    }

    [Theory]
    [InlineData("can you give me the last four of your social", "sure, it's the one ending in 6789")]
    [InlineData("can you verify your social security number", "the one ending in 6789")]
    [InlineData("which account should we debit", "checking, the one ending in 5521")]
    [InlineData("what's the best phone number", "the one ending in 4567")]
    [InlineData("and what's your pin?", "ending in 9876")]
    public void The_last_four_of_what_the_agent_asked_for_is_masked_when_that_is_not_a_card(string question, string answer)
    {
        var s = new RedactionSession(Keeping);
        s.Redact(question, Speaker.Agent, true);
        var said = s.Redact(answer, Speaker.Customer, true).Text;
        Assert.DoesNotContain(answer[^4..], said, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("my ssn ending in 6789", "6789")]
    [InlineData("my pin, which is not the last four of my card, is 1234", "1234")]
    [InlineData("the pin is different from the last four digits of the card, it's 1234", "1234")]
    [InlineData("my pin is the last four of my card, 4242", "4242")]
    [InlineData("my routing number ends with 0210", "0210")]
    public void The_last_four_of_a_pin_a_social_or_an_account_are_masked(string text, string digits) =>
        Assert.DoesNotContain(digits, new RedactionSession(Keeping).Redact(text, Speaker.Customer, true).Text, StringComparison.Ordinal);

    [Fact]
    public void The_last_four_answering_a_card_question_is_kept()
    {
        var s = new RedactionSession(Keeping);
        s.Redact("which card would you like to use?", Speaker.Agent, true);
        Assert.Equal("the one ending in 4242", s.Redact("the one ending in 4242", Speaker.Customer, true).Text);
    }

    [Fact]
    public void A_card_dictated_as_four_last_fours_shows_only_the_first()
    {
        var s = new RedactionSession(Keeping);
        s.Redact("can you read me the card number", Speaker.Agent, true);
        Assert.Equal("ending in 4539", s.Redact("ending in 4539", Speaker.Customer, true).Text);
        Assert.Equal("ending in [CARD]", s.Redact("ending in 1488", Speaker.Customer, true).Text);
        Assert.Equal("ending in [CARD]", s.Redact("ending in 0343", Speaker.Customer, false).Text);
        Assert.Equal("ending in [CARD]", s.Redact("ending in 0343", Speaker.Customer, true).Text);
        Assert.Equal("ending in [CARD]", s.Redact("ending in 6467", Speaker.Customer, true).Text);
        // the same card named again is still the one card
        Assert.Equal("ending in 4539", s.Redact("ending in 4539", Speaker.Customer, true).Text);
    }

    [Theory]
    [InlineData("the card ending in 4539 uh um uh 1488 0343 6467")]
    [InlineData("the card ending in 4539...1488...0343...6467")]
    [InlineData("the card ending in four five three nine and one four eight eight then oh three four three and six four six seven")]
    public void The_last_four_said_on_into_more_digits_are_masked_with_them(string text)
    {
        var said = new RedactionSession(Keeping).Redact(text, Speaker.Customer, true).Text;
        Assert.DoesNotContain("4539", said, StringComparison.Ordinal);
        Assert.DoesNotContain("four five three nine", said, StringComparison.Ordinal);
        Assert.DoesNotContain("6467", said, StringComparison.Ordinal);
        Assert.DoesNotContain("six four six seven", said, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("what's the security code on the card ending in 4539?", "the card ending in 4539, it's 321", "321")]
    [InlineData("and the expiration date on the visa?", "the visa ending in 1227", "1227")]
    [InlineData("can you give me the pin for that card?", "for the card ending in 4539", "4539")]
    [InlineData("what are the three digits on the back of the amex?", "on the amex ending with 8811? 9021", "8811")]
    public void A_code_asked_for_is_masked_in_an_answer_that_names_the_card(string question, string answer, string digits)
    {
        var s = new RedactionSession(Keeping);
        s.Redact(question, Speaker.Agent, true);
        Assert.DoesNotContain(digits, s.Redact(answer, Speaker.Customer, true).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_code_given_beside_the_named_card_is_masked_by_default_too()
    {
        var s = new RedactionSession();
        s.Redact("what's the security code on the card ending in 4539?", Speaker.Agent, true);
        Assert.Equal("the card ending in [CARD], it's [CVV]", s.Redact("the card ending in 4539, it's 321", Speaker.Customer, true).Text);
    }

    [Fact]
    public void A_bare_ending_in_does_not_make_a_card_the_subject()
    {
        var s = new RedactionSession(Keeping);
        s.Redact("what's the best phone number to reach you?", Speaker.Agent, true);
        Assert.Equal("it's the one ending in [PHONE]", s.Redact("it's the one ending in 4567", Speaker.Customer, true).Text);
        // the agent's read-back is of the phone still
        Assert.Equal("the one ending in [PHONE]?", s.Redact("the one ending in 4567?", Speaker.Agent, true).Text);
    }

    [Theory]
    [InlineData("can i have your social security number?", "my account ending in 0012345678", "0012345678")]
    [InlineData("what's the expiration date?", "on the one ending in 45391488", "45391488")]
    [InlineData("what's your pin?", "the account ending in 453914880", "453914880")]
    [InlineData("and the cvv on the back?", "sorry the one ending in 41118823, let me flip it", "41118823")]
    public void A_bare_ending_in_under_a_topic_that_does_not_take_the_numbers_length_still_masks_it(string question, string answer, string digits)
    {
        foreach (var options in new[] { new RedactionOptions(), Keeping })
        {
            var s = new RedactionSession(options);
            s.Redact(question, Speaker.Agent, true);
            s.Redact("sure", Speaker.Customer, true);

            Assert.DoesNotContain(digits, s.Redact(answer, Speaker.Customer, true).Text, StringComparison.Ordinal);
            Assert.DoesNotContain(digits, s.Redact($"so that's the one ending in {digits}?", Speaker.Agent, true).Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_bare_ending_in_said_first_leaves_no_card_subject_for_later_last_fours()
    {
        var s = new RedactionSession(Keeping);
        s.Redact("can you confirm the last four of the number we have on file?", Speaker.Agent, true);
        Assert.Equal("ending in [CARD]", s.Redact("ending in 4567", Speaker.Customer, true).Text);
        Assert.Equal("okay, ending in [CARD], thank you", s.Redact("okay, ending in 4567, thank you", Speaker.Agent, true).Text);
    }

    [Theory]
    [InlineData("okay, go on?")]
    [InlineData("sorry, which one was that?")]
    public void A_second_last_four_after_the_agents_question_is_masked(string between)
    {
        var s = new RedactionSession(Keeping);
        s.Redact("which card?", Speaker.Agent, true);
        Assert.Equal("the visa ending in 4539", s.Redact("the visa ending in 4539", Speaker.Customer, true).Text);
        s.Redact(between, Speaker.Agent, true);
        Assert.Equal("the visa ending in [CARD]", s.Redact("the visa ending in 1488", Speaker.Customer, true).Text);
    }

    [Fact]
    public void A_last_four_masked_as_a_reference_is_the_one_the_speaker_gave()
    {
        var s = new RedactionSession(Keeping);
        Assert.Equal("ending in [CARD]", s.Redact("ending in 4539", Speaker.Customer, true).Text);
        s.Redact("sorry?", Speaker.Agent, true);
        Assert.Equal("the card ending in [CARD]", s.Redact("the card ending in 1488", Speaker.Customer, true).Text);
    }

    [Theory]
    [InlineData("my social is 123-45-6789", "thanks, so the one ending in 6789", EntityType.Ssn)]
    [InlineData("you can reach me at 206 555 0143", "got it, the number ending in 0143", EntityType.Phone)]
    public void The_last_four_of_a_number_masked_earlier_in_the_call_is_counted_as_that_number(string first, string later, EntityType type)
    {
        foreach (var options in new[] { new RedactionOptions(), Keeping })
        {
            var s = new RedactionSession(options);
            s.Redact(first, Speaker.Customer, true);
            s.Redact("can you hold for a second?", Speaker.Agent, true);
            s.Redact("sure", Speaker.Customer, true);
            s.Redact("okay i'm back, anything else?", Speaker.Agent, true);
            var result = s.Redact(later, Speaker.Agent, true);
            Assert.Equal(type, Assert.Single(result.Entities).Type);
        }
    }

    [Fact]
    public async Task The_redact_verb_reads_the_setting()
    {
        const string line = "{\"conversationId\":\"a\",\"text\":\"the card ending in 4242\"}\n";
        var keeping = new ConfigurationBuilder().AddInMemoryCollection([new("Recorder:KeepCardLastFour", "true")]).Build();
        var kept = new StringWriter();
        var masked = new StringWriter();
        await RedactVerb.RunAsync(new StringReader(line), kept, RedactVerb.Options(keeping));
        await RedactVerb.RunAsync(new StringReader(line), masked, RedactVerb.Options(new ConfigurationBuilder().Build()));
        Assert.Contains("\"redacted\":\"the card ending in 4242\"", kept.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"redacted\":\"the card ending in [CARD]\"", masked.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_setting_that_is_not_true_or_false_fails_naming_its_key()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection([new("Recorder:KeepCardLastFour", "maybe")]).Build();
        var e = Assert.Throws<SettingsException>(() => RedactVerb.Options(config));
        Assert.Contains("Recorder:KeepCardLastFour", e.Message, StringComparison.Ordinal);
    }
}
