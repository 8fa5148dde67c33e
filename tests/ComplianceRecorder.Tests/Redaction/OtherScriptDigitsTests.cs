using ComplianceRecorder.Pipeline.Redaction;

namespace ComplianceRecorder.Tests.Redaction;

/// <summary>Digits of other scripts are digits: a card written with them is masked, and what is kept is shown as it was said.</summary>
public sealed class OtherScriptDigitsTests
{
    [Theory]
    [InlineData("my card is ٤١١١١١١١١١١١١١١١")] // Arabic-Indic
    [InlineData("my card is ۴۱۱۱ ۱۱۱۱ ۱۱۱۱ ۱۱۱۱")] // Extended Arabic-Indic (Persian, Urdu)
    [InlineData("my card is ４１１１ １１１１ １１１１ １１１１")] // fullwidth
    [InlineData("my card is 4111 ١١١١ ۱۱۱۱ １１１１")] // mixed
    [InlineData("my card is ४१११ १११११११११११११")] // Devanagari
    public void A_card_written_in_another_scripts_digits_is_masked(string text) =>
        Assert.Equal("my card is [CARD]", new RedactionSession().Redact(text, Speaker.Customer, true).Text);

    [Fact]
    public void A_security_code_asked_for_and_given_in_fullwidth_digits_is_masked()
    {
        var s = new RedactionSession();
        s.Redact("what's the security code?", Speaker.Agent, true);
        Assert.Equal("[CVV]", s.Redact("７３１", Speaker.Customer, true).Text);
    }

    [Fact]
    public void A_harmless_number_in_another_scripts_digits_is_shown_as_it_was_written()
    {
        const string text = "i have ٣ items in the order, josé";
        Assert.Equal(text, new RedactionSession().Redact(text, Speaker.Customer, true).Text);
    }
}
