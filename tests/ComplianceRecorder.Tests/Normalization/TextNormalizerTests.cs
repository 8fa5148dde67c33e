using ComplianceRecorder.Pipeline.Normalization;

namespace ComplianceRecorder.Tests.Normalization;

public sealed class TextNormalizerTests
{
    [Theory]
    [InlineData("Hello. World", "Hello. World")]
    [InlineData("  hello   there \t you  ", "hello there you")]
    [InlineData("soooooo good!!!!!!", "sooo good!!!")]
    [InlineData("line\nbreak\u0007bell", "line breakbell")]
    [InlineData("caf\u0065\u0301", "caf\u00e9")]
    [InlineData("zero\u200Bwidth", "zerowidth")]
    [InlineData("4111 1111 1111 1111", "4111 1111 1111 1111")]
    [InlineData("room 10000", "room 10000")]
    public void Normalizes_whitespace_repeats_controls_and_unicode_but_keeps_punctuation_spacing_and_digits(string input, string expected) =>
        Assert.Equal(expected, TextNormalizer.Normalize(input));

    [Fact]
    public void Text_that_needs_nothing_is_returned_as_is_without_a_copy()
    {
        const string clean = "already clean, thanks.";
        Assert.Same(clean, TextNormalizer.Normalize(clean));
    }
}
