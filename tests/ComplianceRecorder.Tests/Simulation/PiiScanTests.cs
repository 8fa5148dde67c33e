using ComplianceRecorder.Simulation;

namespace ComplianceRecorder.Tests.Simulation;

/// <summary>The simulation's oracle is only as good as its eye for personal data: what it must see, and what it must not mistake for it.</summary>
public sealed class PiiScanTests
{
    private static readonly ScriptedPii[] Script =
    [
        new("call-1", 3, "card", "4539148803436467", ""),
        new("call-1", 5, "cvv", "737", ""),
        new("call-1", 7, "phone", "9162222480", ""),
        new("call-1", 9, "email", "ana.baker@example.com", ""),
    ];

    [Theory]
    [InlineData("It's four five three nine, one four eight eight, oh three four three, six four six seven.")]
    [InlineData("my card is 4539 1488 0343 6467 thanks")]
    [InlineData("nine one six, double two two, two four eight zero")]
    [InlineData("it's ana dot baker at example dot com")]
    [InlineData("{\"text\":\"ana.baker@example.com\"}")]
    public void The_scripted_data_is_found_however_it_is_said(string text) =>
        Assert.NotEmpty(PiiScan.Findings(PiiScan.Strings(text), Script));

    [Fact]
    public void Any_Luhn_valid_card_number_is_found_even_one_the_script_did_not_say() =>
        Assert.Contains(PiiScan.Findings("the other card is 4111 1111 1111 1111", Script), f => f.Contains("Luhn", StringComparison.Ordinal));

    [Fact]
    public void A_short_value_counts_only_in_the_utterance_that_said_it()
    {
        Assert.Empty(PiiScan.Findings("port 8737 up", Script));
        Assert.NotEmpty(PiiScan.Findings("seven three seven", Script, Script[1]));
    }

    [Theory]
    [InlineData("{\"scope\":\"live\",\"key\":\"live:1795861770000\",\"p50Ms\":12.1795861770000}")]
    [InlineData("{\"buckets\":[1, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 3, 0]}")]
    [InlineData("call 5e0001a1-0000-4000-8000-c587d778e007 at 2026-11-28T10:29:10.1795861+00:00")]
    public void Ids_timestamps_and_counts_are_not_taken_for_card_numbers(string text) =>
        Assert.Empty(PiiScan.Findings(PiiScan.Strings(text), Script));
}
