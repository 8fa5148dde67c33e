using ComplianceRecorder.Pipeline.Redaction;
using ComplianceRecorder.Verbs;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Tests.Redaction;

/// <summary>
/// Two detections may cover the same words (a number read on into a zip an address already masked): they are masked
/// as one over their union, and one utterance never stops the redaction of the rest.
/// </summary>
public sealed class OverlappingSpansTests
{
    private const string Question = "what's the address on the account?";
    private const string Answer = "12 market street #12, 98102";

    [Fact]
    public void A_number_read_on_into_a_masked_zip_is_masked_with_it()
    {
        var s = new RedactionSession();
        s.Redact(Question, Speaker.Agent, true);
        var result = s.Redact(Answer, Speaker.Customer, true);
        Assert.DoesNotContain("12", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("98102", result.Text, StringComparison.Ordinal);
        AssertWellFormed(result);
    }

    [Theory]
    [InlineData("1200 market street 98102 4111 1111 1111 1111", "4111")]
    [InlineData("1200 market street 98102 123 45 6789", "6789")]
    [InlineData("1200 market street 98102 four one one one one one one one", "four one one one")]
    public void A_number_that_starts_in_a_masked_zip_is_masked_to_its_end(string answer, string rest)
    {
        var s = new RedactionSession();
        s.Redact(Question, Speaker.Agent, true);
        Assert.DoesNotContain(rest, s.Redact(answer, Speaker.Customer, true).Text, StringComparison.Ordinal);
        Assert.DoesNotContain(rest, s.Redact(answer, Speaker.Customer, false).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_redact_verb_goes_on_past_an_answer_whose_detections_overlap()
    {
        var input = $$"""
            {"conversationId":"a","channel":"INTERNAL","isFinal":true,"text":"{{Question}}"}
            {"conversationId":"a","channel":"EXTERNAL","isFinal":true,"text":"{{Answer}}"}
            {"conversationId":"a","channel":"EXTERNAL","isFinal":true,"text":"my card is 4111 1111 1111 1111"}

            """;
        var output = new StringWriter();
        await RedactVerb.RunAsync(new StringReader(input), output, RedactVerb.Options(new ConfigurationBuilder().Build()));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.DoesNotContain(lines, l => l.Contains("\"error\"", StringComparison.Ordinal));
        Assert.DoesNotContain("98102", lines[1].Split("\"redacted\"")[1], StringComparison.Ordinal);
        Assert.Contains("\"redacted\":\"my card is [CARD]\"", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_spans_are_masked_over_their_union()
    {
        const string text = "aaa bbb ccc ddd";
        List<RedactedEntity> spans = [new(EntityType.Address, 0, 7), new(EntityType.BankAccount, 4, 11), new(EntityType.Number, 5, 6)];
        var result = RedactionSession.Apply(text, spans);
        Assert.Equal("[ADDRESS] ddd", result.Text);
        Assert.Equal([new RedactedEntity(EntityType.Address, 0, 9)], result.Entities);
    }

    [Fact]
    public void Generated_overlapping_spans_never_throw_and_never_show_a_masked_character()
    {
        var random = new Random(18);
        for (var round = 0; round < 2000; round++)
        {
            var text = new string('x', random.Next(1, 60));
            var spans = new List<RedactedEntity>();
            var masked = new bool[text.Length];
            for (var k = random.Next(1, 6); k > 0; k--)
            {
                var start = random.Next(text.Length);
                var end = random.Next(start + 1, text.Length + 1);
                spans.Add(new RedactedEntity(EntityType.Card, start, end));
                masked.AsSpan(start, end - start).Fill(true);
            }
            var result = RedactionSession.Apply(text, spans);
            AssertWellFormed(result);
            // every character not masked by any span is still there, and no masked one is
            Assert.Equal(masked.Count(m => !m), result.Text.Count(c => c == 'x'));
        }
    }

    [Fact]
    public void Generated_dialogues_of_overlapping_details_redact_without_error()
    {
        string[] agent = [Question, "can i get the card number?", "what's the account number?", "and the zip code?", "what's your date of birth?"];
        string[] customer = [Answer, "12 market street #12, 98102, account 4111 1111", "apartment 4b, 221 baker street 98102 1234",
            "born 03 03 1985 4539 1488", "#12 98102 12", "suite 300, 1200 market street 98102, 0343 6467"];
        var random = new Random(18);
        for (var round = 0; round < 300; round++)
        {
            var s = new RedactionSession();
            for (var turn = 0; turn < 4; turn++)
            {
                s.Redact(agent[random.Next(agent.Length)], Speaker.Agent, true);
                var said = string.Join(random.Next(2) == 0 ? " " : ", ", customer[random.Next(customer.Length)], customer[random.Next(customer.Length)]);
                AssertWellFormed(s.Redact(said, Speaker.Customer, random.Next(2) == 0));
            }
        }
    }

    private static void AssertWellFormed(RedactionResult result)
    {
        var at = 0;
        foreach (var e in result.Entities)
        {
            Assert.True(e.Start >= at, "entities overlap");
            Assert.Equal(e.Type.Placeholder(), result.Text[e.Start..e.End]);
            at = e.End;
        }
    }
}
