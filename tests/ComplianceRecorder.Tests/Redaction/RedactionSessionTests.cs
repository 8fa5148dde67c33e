using ComplianceRecorder.Pipeline.Redaction;

namespace ComplianceRecorder.Tests.Redaction;

public sealed class RedactionSessionTests
{
    private static string Customer(RedactionSession s, string text) => s.Redact(text, Speaker.Customer, true).Text;

    private static string Agent(RedactionSession s, string text) => s.Redact(text, Speaker.Agent, true).Text;

    [Theory]
    [InlineData("my card is 4111 1111 1111 1111 thanks", "my card is [CARD] thanks")]
    [InlineData("card 4012 8888 eight eight eight eight one eight eight one", "card [CARD]")]
    [InlineData("it's four one one one one one one one one one one one one one one one", "it's [CARD]")]
    [InlineData("Here's my SSN: 460-89-9847", "Here's my SSN: [SSN]")]
    [InlineData("call me at (555) 123-4567 please", "call me at ([PHONE] please")]
    [InlineData("email john dot smith at gmail dot com", "email [EMAIL]")]
    [InlineData("write to jane.doe@example.org today", "write to [EMAIL] today")]
    [InlineData("My IBAN is GB59IFUE40226315499137", "My IBAN is [IBAN]")]
    [InlineData("from 10.20.30.40 yesterday", "from [IP_ADDRESS] yesterday")]
    public void Written_and_spoken_entities_are_masked(string input, string expected) =>
        Assert.Equal(expected, Customer(new RedactionSession(), input));

    [Theory]
    [InlineData("I paid $1,250.00 on 2024-03-15 at 7:30 for 3 items")]
    [InlineData("my order number is 55321 and version 2.3.1 took 10 minutes")]
    [InlineData("Hello. World, one moment please")]
    [InlineData("3... 2... 1... liftoff!")]
    public void Harmless_numbers_and_punctuation_stay(string input) =>
        Assert.Equal(input, Customer(new RedactionSession(), input));

    [Fact]
    public void The_agents_question_makes_the_customers_next_answer_sensitive()
    {
        var s = new RedactionSession();
        Agent(s, "And the three digits on the back?");
        Assert.Equal("[CVV]", Customer(s, "seven three seven"));
        Agent(s, "What's the expiration date?");
        Assert.Equal("[EXPIRY]", Customer(s, "oh four twenty seven"));
        Agent(s, "And your PIN?");
        Assert.Equal("um it's [PIN]", Customer(s, "um it's one nine eight four"));
    }

    [Fact]
    public void A_card_dictated_over_several_turns_is_masked_in_every_turn()
    {
        var s = new RedactionSession();
        Agent(s, "Can I have the card number?");
        Assert.Equal("[CARD]", Customer(s, "four one one one"));
        Assert.Equal("[CARD]", Customer(s, "one one one one, one one one one"));
        Assert.Equal("uh [CARD]", Customer(s, "uh one one one one"));
    }

    [Fact]
    public void A_new_question_from_the_agent_ends_the_sensitive_topic()
    {
        var s = new RedactionSession();
        Agent(s, "What's your card number?");
        Customer(s, "4111 1111 1111 1111");
        Agent(s, "Thanks. How many tickets would you like?");
        Assert.Equal("2000 tickets", Customer(s, "2000 tickets"));
    }

    [Fact]
    public void Partials_are_redacted_but_do_not_move_the_context()
    {
        var s = new RedactionSession();
        Assert.Equal("what's the card", s.Redact("what's the card", Speaker.Agent, false).Text);
        Assert.Equal("1234", Customer(s, "1234"));
    }

    [Fact]
    public void A_card_read_in_two_breaths_redacts_the_second_and_corrects_the_first()
    {
        var s = new RedactionSession();
        var first = s.Redact("the number is 4539 1488", Speaker.Customer, true);
        Assert.True(first.Unsettled);
        Assert.Equal("the number is 4539 1488", first.Text);

        var second = s.Redact("0343 6467", Speaker.Customer, true);

        Assert.Equal("[CARD]", second.Text);
        Assert.Equal("the number is [CARD]", second.CorrectsPrevious!.Text);
        Assert.Equal(EntityType.Card, Assert.Single(second.CorrectsPrevious.Entities).Type);
    }

    [Fact]
    public void A_number_that_ends_as_an_amount_or_order_is_settled_at_once()
    {
        var s = new RedactionSession();
        Assert.False(s.Redact("my order number is 55321.", Speaker.Customer, true).Unsettled);
        Assert.False(s.Redact("that comes to 1,250", Speaker.Customer, true).Unsettled);
        Assert.False(s.Redact("no numbers here", Speaker.Customer, true).Unsettled);
    }

    [Fact]
    public void Entities_point_at_the_placeholders_in_the_redacted_text()
    {
        var r = new RedactionSession().Redact("card 4111111111111111 and ssn 123-45-6789", Speaker.Customer, true);
        Assert.Equal(2, r.Entities.Length);
        foreach (var e in r.Entities)
        {
            Assert.Equal(e.Type.Placeholder(), r.Text[e.Start..e.End]);
        }
    }

    // Character distances to a topic word shrink when numbers become placeholders, so a second pass can
    // mask a little more than the first (found by this property); it never reveals anything.
    [FsCheck.Xunit.Property(MaxTest = 300)]
    public bool Output_never_holds_the_card_and_a_second_pass_keeps_every_placeholder(ulong seed, byte words)
    {
        var rnd = new Random((int)(seed % int.MaxValue));
        string[] vocabulary = ["my", "card", "is", "uh", "four", "one", "double", "oh", "five", "and", "the", "number", "4111", "1111", "6011", "0000", "thanks", "-", ","];
        var text = string.Join(' ', Enumerable.Range(0, words % 24).Select(_ => vocabulary[rnd.Next(vocabulary.Length)]));
        text += " 4539 1488 0343 6467 " + text;
        var once = new RedactionSession().Redact(text, Speaker.Customer, true);
        var twice = new RedactionSession().Redact(once.Text, Speaker.Customer, true);
        var digits = System.Text.RegularExpressions.Regex.Replace(once.Text, @"\D", "");
        if (digits.Contains("4539148803436467", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"card survived: [{text}] -> [{once.Text}]");
        }
        if (!once.Entities.All(e => twice.Text.Contains(e.Type.Placeholder(), StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"second pass lost a placeholder: [{once.Text}] -> [{twice.Text}]");
        }
        return true;
    }
}
