using ComplianceRecorder.Pipeline.Redaction;
using ComplianceRecorder.Verbs;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Tests.Redaction;

/// <summary>
/// A card named by its last four digits alone is kept by default (PCI DSS allows them to be shown); Recorder:MaskCardLastFour
/// masks it. The same digits where they may be part of a longer number are masked either way.
/// </summary>
public sealed class CardLastFourTests
{
    private static readonly RedactionOptions Masking = new() { MaskCardLastFour = true };

    [Theory]
    [InlineData("the card ending in four two four two")]
    [InlineData("the card ending in 4242 was declined")]
    [InlineData("my visa ends with 9876, is that the one")]
    [InlineData("the last four digits of the card are 1234")]
    public void A_card_named_by_its_last_four_digits_alone_is_kept_by_default(string text) =>
        Assert.Equal(text, new RedactionSession().Redact(text, Speaker.Customer, true).Text);

    [Fact]
    public void An_agent_reading_back_the_last_four_is_kept_too()
    {
        var s = new RedactionSession();
        s.Redact("what's the card number?", Speaker.Agent, true);
        Assert.Equal("[CARD]", s.Redact("4539 1488 0343 6467", Speaker.Customer, true).Text);
        Assert.Equal("so that's a card ending in 6467, correct?", s.Redact("so that's a card ending in 6467, correct?", Speaker.Agent, true).Text);
    }

    [Theory]
    [InlineData("the card ending in four two four two", "the card ending in [CARD]")]
    [InlineData("the last four digits of the card are 1234", "the last four digits of the card are [CARD]")]
    public void With_the_setting_on_the_last_four_are_masked(string text, string expected) =>
        Assert.Equal(expected, new RedactionSession(Masking).Redact(text, Speaker.Customer, true).Text);

    [Theory]
    [InlineData("the card ending in 0343 6467", "the card ending in [CARD]")]
    [InlineData("the card ending in 4111 1111 1111 1111", "the card ending in [CARD]")]
    [InlineData("my card number is 4242", "my card number is [CARD]")]
    public void Four_digits_that_are_more_than_a_reference_by_the_last_four_are_masked(string text, string expected) =>
        Assert.Equal(expected, new RedactionSession().Redact(text, Speaker.Customer, true).Text);

    [Fact]
    public void The_last_four_at_the_end_of_a_partial_are_masked_until_its_final_settles_them()
    {
        var s = new RedactionSession();
        Assert.Equal("the card ending in [NUMBER]", s.Redact("the card ending in four two four two", Speaker.Customer, false).Text);
        Assert.Equal("the card ending in four two four two", s.Redact("the card ending in four two four two", Speaker.Customer, true).Text);
    }

    [Fact]
    public void The_last_four_that_a_next_final_continues_into_a_card_are_masked_in_both()
    {
        var s = new RedactionSession();
        var first = s.Redact("the card ending in 4539", Speaker.Customer, true);
        Assert.True(first.Unsettled);
        var second = s.Redact("1488 0343 6467", Speaker.Customer, true);
        Assert.Equal("[CARD]", second.Text);
        Assert.Equal("the card ending in [CARD]", second.CorrectsPrevious?.Text);
    }

    [Fact]
    public async Task The_redact_verb_reads_the_setting()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection([new("Recorder:MaskCardLastFour", "true")]).Build();
        var output = new StringWriter();
        await RedactVerb.RunAsync(new StringReader("{\"conversationId\":\"a\",\"text\":\"the card ending in 4242\"}\n"), output, RedactVerb.Options(config));
        Assert.Contains("\"redacted\":\"the card ending in [CARD]\"", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_setting_that_is_not_true_or_false_fails_naming_its_key()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection([new("Recorder:MaskCardLastFour", "maybe")]).Build();
        var e = Assert.Throws<SettingsException>(() => RedactVerb.Options(config));
        Assert.Contains("Recorder:MaskCardLastFour", e.Message, StringComparison.Ordinal);
    }
}
