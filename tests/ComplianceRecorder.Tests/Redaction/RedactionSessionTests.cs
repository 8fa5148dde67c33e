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

    [Theory]
    [InlineData("can i have the three digits on the back of the card", "four five six", "[CVV]")]
    [InlineData("and the expiry date on your card please", "oh four twenty seven", "[EXPIRY]")]
    [InlineData("what is the pin for that card", "one two three four", "[PIN]")]
    public void A_question_about_a_cards_code_is_about_the_code_not_the_card(string question, string answer, string expected)
    {
        var s = new RedactionSession();
        Agent(s, question);
        Assert.Equal(expected, Customer(s, answer));
    }

    [Fact]
    public void A_card_asked_for_after_a_code_is_the_subject_again()
    {
        var s = new RedactionSession();
        Agent(s, "thanks for the security code, now what is your card number?");
        Assert.Equal("[CARD]", Customer(s, "four one one one one one one one"));
    }

    [Fact]
    public void A_code_named_with_its_card_in_the_same_breath_is_masked() =>
        Assert.Equal("the three digits on the back of my card are [CVV]", Customer(new RedactionSession(), "the three digits on the back of my card are 456"));

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
    public void Bank_details_follow_the_question_that_asked_for_them()
    {
        var s = new RedactionSession();
        Agent(s, "Please give me your routing number.");
        Assert.Equal("[ROUTING]", Customer(s, "021000021"));
        Agent(s, "And the account number?");
        Assert.Equal("it's [BANK_ACCOUNT]", Customer(s, "it's 4471 2093 8"));
    }

    [Fact]
    public void An_agent_reading_a_number_back_is_redacted_too()
    {
        var s = new RedactionSession();
        Agent(s, "What's the best number to reach you?");
        Customer(s, "five five five, two one two, nine eight seven six");
        Assert.Equal("Let me read that back, [PHONE]?", Agent(s, "Let me read that back, 555 212 9876?"));
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
    public void An_agents_partial_sets_no_topic_but_while_it_has_no_final_the_customers_numbers_are_masked_as_bare_numbers()
    {
        var s = new RedactionSession();
        Assert.Equal("what's the card", s.Redact("what's the card", Speaker.Agent, false).Text);
        // the partial sets no topic, so the number is not taken for a card; but while the agent's utterance has no final
        // (a question in flight, or its final lost) the answer is masked as a bare number, and so is the next
        Assert.Equal("[NUMBER]", Customer(s, "1234"));
        Assert.Equal("[NUMBER]", Customer(s, "5678"));
        // the agent's final is what moves the context: here it asks nothing, so the next number is shown
        Assert.Equal("one moment please", s.Redact("one moment please", Speaker.Agent, true).Text);
        Assert.Equal("1234", Customer(s, "1234"));
    }

    [Theory]
    [InlineData("it's 5500 0000", "it's [NUMBER]")]
    [InlineData("the number is 4539 1488", "the number is [NUMBER]")]
    [InlineData("um four five three nine one four", "um [NUMBER]")]
    public void A_partial_ending_in_digits_that_could_grow_into_a_card_does_not_show_them(string partial, string shown)
    {
        var s = new RedactionSession();
        Assert.Equal(shown, s.Redact(partial, Speaker.Customer, false).Text);
    }

    [Theory]
    [InlineData("my order number is 58213")]
    [InlineData("it's 123")]
    [InlineData("it's 5500 0000 please")]
    public void A_partial_whose_digits_are_harmless_short_or_followed_by_words_shows_them(string partial)
    {
        var s = new RedactionSession();
        Assert.Equal(partial, s.Redact(partial, Speaker.Customer, false).Text);
    }

    [Fact]
    public void A_partial_ending_in_digits_and_a_filler_does_not_show_them()
    {
        var s = new RedactionSession();
        Assert.Equal("it's [NUMBER], um", s.Redact("it's 5500 0000, um", Speaker.Customer, false).Text);
    }

    [Fact]
    public void After_an_order_number_question_a_partial_shows_its_trailing_digits()
    {
        var s = new RedactionSession();
        Agent(s, "What's your order number?");
        Assert.Equal("it's 5821 3390", s.Redact("it's 5821 3390", Speaker.Customer, false).Text);
    }

    [Fact]
    public void The_second_breath_of_a_card_is_masked_in_its_partials_before_its_final()
    {
        var s = new RedactionSession();
        Assert.True(s.Redact("the number is 4539 1488", Speaker.Customer, true).Unsettled);

        Assert.Equal("[CARD] thanks", s.Redact("0343 6467 thanks", Speaker.Customer, false).Text);
        var final = s.Redact("0343 6467 thanks", Speaker.Customer, true);

        Assert.Equal("[CARD] thanks", final.Text);
        Assert.Equal("the number is [CARD]", final.CorrectsPrevious!.Text);
    }

    [Fact]
    public void A_card_whose_first_breath_ends_in_a_filler_is_still_joined_and_corrected()
    {
        var s = new RedactionSession();
        Assert.True(s.Redact("the number is 4539 1488, um", Speaker.Customer, true).Unsettled);

        var second = s.Redact("0343 6467", Speaker.Customer, true);

        Assert.Equal("[CARD]", second.Text);
        Assert.Equal("the number is [CARD], um", second.CorrectsPrevious!.Text);
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

    private static readonly string[] Vocabulary =
        ["my", "card", "is", "uh", "four", "one", "double", "oh", "five", "and", "the", "number", "4111", "1111", "6011", "0000",
         "thanks", "-", ",", "order", "code", "phone", "at", "dot", "com", "7", "12", "2024", "dollars", "social", "pin", "?", "."];

    private static string RandomUtterance(ulong seed, byte words)
    {
        var rnd = new Random((int)(seed % int.MaxValue));
        return string.Join(' ', Enumerable.Range(0, words % 30).Select(_ => Vocabulary[rnd.Next(Vocabulary.Length)]));
    }

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public bool Redaction_is_idempotent(ulong seed, byte words)
    {
        var once = new RedactionSession().Redact(RandomUtterance(seed, words), Speaker.Customer, true).Text;
        var twice = new RedactionSession().Redact(once, Speaker.Customer, true).Text;
        return once == twice ? true : throw new InvalidOperationException($"[{once}] -> [{twice}]");
    }

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public bool Output_never_holds_a_Luhn_valid_13_to_19_digit_run(ulong seed, byte words, bool spoken)
    {
        // a real card number, written or read out, somewhere among random words and digit groups
        var card = spoken ? "four five three nine one four eight eight oh three four three six four six seven" : "4539 1488 0343 6467";
        var text = RandomUtterance(seed, words) + " " + card + " " + RandomUtterance(seed + 1, words);
        var output = new RedactionSession().Redact(text, Speaker.Customer, true).Text;
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(output, @"\d(?:[ -]?\d)*"))
        {
            var digits = new string([.. m.Value.Where(char.IsAsciiDigit)]);
            for (var len = 13; len <= 19; len++)
            {
                for (var i = 0; i + len <= digits.Length; i++)
                {
                    if (Luhn(digits.AsSpan(i, len)))
                    {
                        throw new InvalidOperationException($"Luhn-valid run {digits.Substring(i, len)} in [{output}]");
                    }
                }
            }
        }
        return !output.Contains("4539", StringComparison.Ordinal) && !output.Contains("four five three nine", StringComparison.Ordinal);
    }

    private static bool Luhn(ReadOnlySpan<char> digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            sum += i % 2 == 1 ? (d * 2 > 9 ? (d * 2) - 9 : d * 2) : d;
        }
        return sum % 10 == 0;
    }
}
