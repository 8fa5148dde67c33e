using ComplianceRecorder.Pipeline.Redaction;

namespace ComplianceRecorder.Tests.Redaction;

/// <summary>Names, addresses and dates of birth (issue 18): by context, remembered for the call, traps kept.</summary>
public sealed class PersonalDetailsTests
{
    private static string Customer(RedactionSession s, string text, bool final = true) => s.Redact(text, Speaker.Customer, final).Text;

    private static string Agent(RedactionSession s, string text) => s.Redact(text, Speaker.Agent, true).Text;

    [Theory]
    [InlineData("yeah hi my name is ingeborg vasquez-lindqvist", "yeah hi my name is [NAME]")]
    [InlineData("hi this is tadeusz kowalczyk i got a letter from you", "hi this is [NAME] i got a letter from you")]
    [InlineData("good afternoon woodgrove bank ferdinand speaking", "good afternoon woodgrove bank [NAME] speaking")]
    [InlineData("thank you doctor abernathy", "thank you doctor [NAME]")]
    [InlineData("my sister-in-law? no, my stepdaughter imogen takes care of it", "my sister-in-law? no, my stepdaughter [NAME] takes care of it")]
    [InlineData("it's ignatius brennan calling about my refund", "it's [NAME] calling about my refund")]
    [InlineData("hi it's ramona", "hi it's [NAME]")]
    [InlineData("my first name is delphine and last name arkwright", "my first name is [NAME] and last name [NAME]")]
    public void A_name_is_masked_where_the_talk_introduces_one(string input, string expected) =>
        Assert.Equal(expected, Customer(new RedactionSession(), input));

    [Theory]
    [InlineData("is there a grace period on the payment")]
    [InlineData("i hope so, will you call me back")]
    [InlineData("press two for the main menu")]
    [InlineData("my package came by u p s and the a t m kept my card")]
    [InlineData("my kids watch mister rogers neighborhood and i drink dr pepper")]
    [InlineData("i got my son air jordans and a visa platinum card")]
    [InlineData("i'm pretty upset, this is ridiculous")]
    [InlineData("hi it's broken again")]
    [InlineData("the promo ends december thirty first and the install is next friday")]
    [InlineData("it's the first street on the left after the bank")]
    [InlineData("i paid 3 dollars at the store on tuesday march fifth")]
    public void Words_that_look_like_names_places_or_dates_stay(string input) =>
        Assert.Equal(input, Customer(new RedactionSession(), input));

    [Fact]
    public void A_bare_answer_to_the_agents_question_for_a_name_is_a_name()
    {
        var s = new RedactionSession();
        Agent(s, "and who do i have the pleasure of speaking with?");
        Assert.Equal("um [NAME]", Customer(s, "um cosima ferreira-doyle"));
    }

    [Fact]
    public void A_name_learned_once_is_masked_wherever_it_comes_back_in_the_call()
    {
        var s = new RedactionSession();
        Customer(s, "hi my name is wenceslas obiora");
        Assert.Equal("okay [NAME], i've pulled up the account for [NAME]", Agent(s, "okay wenceslas, i've pulled up the account for obiora"));
        Assert.Equal("okay wenceslas", Agent(new RedactionSession(), "okay wenceslas"));
    }

    [Fact]
    public void A_spelled_name_is_masked_in_partials_and_finals_once_a_spelling_was_asked()
    {
        var s = new RedactionSession();
        Agent(s, "could you spell the last name please?");
        Assert.Equal("[NAME]", Customer(s, "o b i", final: false));
        Assert.Equal("[NAME]", Customer(s, "o b i o r a"));
        Assert.Equal("let me confirm, that's [NAME]?", Agent(s, "let me confirm, that's o. b. i. o. r. a.?"));
        Assert.Equal("[NAME]", Customer(s, "b e double n e t t"));
    }

    [Fact]
    public void A_word_followed_by_its_own_spelling_is_a_name() =>
        Assert.Equal("it's [NAME] [NAME] thanks", Customer(new RedactionSession(), "it's quaid q u a i d thanks"));

    [Theory]
    [InlineData("i live at 4471 juniper hollow drive apartment 5c", "i live at [ADDRESS]")]
    [InlineData("send it to twelve oh six saint ambrose court, unit nine b, fort wayne 46802", "send it to [ADDRESS], fort wayne [ADDRESS]")]
    [InlineData("we moved to 88 rue lamartine", "we moved to [ADDRESS]")]
    public void An_address_is_masked_by_its_shape(string input, string expected) =>
        Assert.Equal(expected, Customer(new RedactionSession(), input));

    [Theory]
    [InlineData("it's apartment 4b, 221 baker street", "it's [ADDRESS]")]
    [InlineData("i live at unit 12 forty five harbour view road", "i live at [ADDRESS]")]
    [InlineData("send it to suite 300, 1200 market street please", "send it to [ADDRESS] please")]
    [InlineData("apt 7 19 ocean avenue", "[ADDRESS]")]
    [InlineData("apt. #7, 19 ocean avenue", "[ADDRESS]")]
    [InlineData("i moved into unit 3 last week, it's nice", "i moved into unit 3 last week, it's nice")]
    public void A_unit_said_before_the_street_is_part_of_the_address(string input, string expected) =>
        Assert.Equal(expected, Customer(new RedactionSession(), input));

    [Fact]
    public void A_house_number_said_with_thousand_and_hundred_starts_an_address() =>
        Assert.Equal("i moved to [ADDRESS]", Customer(new RedactionSession(), "i moved to two thousand six hundred ellsworth parkway"));

    [Theory]
    [InlineData("yes you're speaking with anatoly volkonsky", "yes you're speaking with [NAME]")]
    [InlineData("i'm calling for my mother, her name is xiuying, she can't hear well", "i'm calling for my mother, her name is [NAME], she can't hear well")]
    [InlineData("hi, my name is beverly", "hi, my name is [NAME]")]
    public void A_name_ending_like_an_adverb_or_a_verb_is_a_name_where_a_name_ends(string input, string expected) =>
        Assert.Equal(expected, Customer(new RedactionSession(), input));

    [Theory]
    [InlineData("i'm currently traveling")]
    [InlineData("thanks, appreciated.")]
    [InlineData("i'm basically done with it")]
    public void A_word_ending_like_an_adverb_after_a_weak_cue_stays(string input) =>
        Assert.Equal(input, Customer(new RedactionSession(), input));

    [Fact]
    public void A_name_given_for_an_order_is_masked_and_remembered()
    {
        var s = new RedactionSession();
        Agent(s, "thank you for holding, what name should i put the order under?");
        Assert.Equal("put it under [NAME]", Customer(s, "put it under anneliese"));
        Assert.Equal("got it, [NAME], it ships today", Agent(s, "got it, anneliese, it ships today"));
    }

    [Fact]
    public void A_spelling_with_words_for_its_letters_is_masked_whole_and_i_like_it_stays()
    {
        var s = new RedactionSession();
        Assert.Equal("it's [NAME], [NAME]", Customer(s, "it's szekely, s as in sam, z as in zebra, e k e l y"));
        Assert.Equal("[NAME], yes", Customer(s, "b for boy, o, y, d, yes"));
        Assert.Equal("yeah i like it", Customer(s, "yeah i like it"));
    }

    [Fact]
    public void The_answer_to_a_question_for_the_new_name_is_a_name()
    {
        var s = new RedactionSession();
        Agent(s, "sure, what's the new name?");
        Assert.Equal("[NAME]", Customer(s, "priyamvada raghunathan"));
    }

    [Fact]
    public void A_corrected_birth_date_on_the_thirtieth_is_masked()
    {
        var s = new RedactionSession();
        Agent(s, "to verify, what is your birthdate?");
        Customer(s, "it's the thirty first of january nineteen ninety");
        Assert.Equal("oh wait, [DOB], sorry", Customer(s, "oh wait, january thirtieth, sorry"));
    }

    [Fact]
    public void The_answer_to_the_agents_question_for_an_address_and_zip_is_masked()
    {
        var s = new RedactionSession();
        Agent(s, "what's the address on the account?");
        Assert.Equal("[ADDRESS] in tulsa", Customer(s, "5120 calle verde in tulsa"));
        Agent(s, "and the zip code?");
        Assert.Equal("uh [ADDRESS]", Customer(s, "uh seven four one oh three"));
        Assert.Equal("yes [ADDRESS] is right", Customer(s, "yes verde is right"));
    }

    [Theory]
    [InlineData("i was born on the fifth of february sixty three", "i was born on the [DOB]")]
    [InlineData("my date of birth is march third nineteen eighty five", "my date of birth is [DOB]")]
    [InlineData("d o b is oh three oh three eighty five", "d o b is [DOB]")]
    [InlineData("my birthday is 7/4/1990", "my birthday is [DOB]")]
    [InlineData("i was born 12th march 1980", "i was born [DOB]")]
    [InlineData("i was born in eighty nine", "i was born in [DOB]")]
    public void A_date_of_birth_is_masked_when_it_is_said_to_be_one(string input, string expected) =>
        Assert.Equal(expected, Customer(new RedactionSession(), input));

    [Fact]
    public void A_date_answering_the_agents_question_for_a_birth_date_is_masked_and_a_later_appointment_is_not()
    {
        var s = new RedactionSession();
        Agent(s, "for security can you verify your date of birth?");
        Assert.Equal("[DOB]", Customer(s, "august twenty second nineteen seventy"));
        Agent(s, "thanks, when would you like the technician to come?");
        Assert.Equal("august twenty second works", Customer(s, "august twenty second works"));
    }

    [Fact]
    public void Agents_names_are_kept_only_when_configured()
    {
        var kept = new RedactionSession(new RedactionOptions { KeepAgentNames = true });
        Assert.Equal("thanks for calling, this is rosalind speaking", Agent(kept, "thanks for calling, this is rosalind speaking"));
        Assert.Equal("hi rosalind, my name is [NAME]", Customer(kept, "hi rosalind, my name is bartholomew"));

        var redacted = new RedactionSession();
        Assert.Equal("thanks for calling, this is [NAME] speaking", Agent(redacted, "thanks for calling, this is rosalind speaking"));
        Assert.Equal("hi [NAME], my name is [NAME]", Customer(redacted, "hi rosalind, my name is bartholomew"));
    }

    [Fact]
    public void The_new_placeholders_are_named_for_the_record()
    {
        var result = new RedactionSession().Redact("my name is odalys quintero and i was born on june 2nd 1971", Speaker.Customer, true);
        Assert.Equal("my name is [NAME] and i was born on [DOB]", result.Text);
        Assert.Equal(["NAME", "DOB"], result.Entities.Select(e => e.Type.Name()));
        Assert.Equal("[NAME]", result.Text[result.Entities[0].Start..result.Entities[0].End]);
    }

    public static TheoryData<string> AdversarialUtterances => new()
    {
        string.Concat(Enumerable.Repeat("born 1 2 3 4 5 6 7 8 9 ", 200_000 / 23)),
        string.Concat(Enumerable.Repeat("x y z, ", 200_000 / 7)),
        "can you spell that " + string.Concat(Enumerable.Repeat("x y z, ", 200_000 / 7)),
        string.Concat(Enumerable.Repeat("12 oak street, ", 200_000 / 15)),
    };

    [Theory]
    [MemberData(nameof(AdversarialUtterances))]
    public async Task A_long_adversarial_utterance_is_redacted_in_linear_work(string input)
    {
        var s = new RedactionSession();
        // a guard, not a timing assertion: quadratic work on 200 KB takes many minutes
        var final = await Task.Run(() => Customer(s, input)).WaitAsync(TimeSpan.FromSeconds(30));
        var partial = await Task.Run(() => Customer(s, input, final: false)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEmpty(final);
        Assert.NotEmpty(partial);
    }

    [Fact]
    public void A_first_name_said_with_the_spelled_surname_is_masked_and_learned()
    {
        var s = new RedactionSession();
        Assert.Equal("my name is [NAME] [NAME], [NAME]", Customer(s, "my name is john patel, p a t e l"));
        Assert.Equal("okay [NAME]", Agent(s, "okay john"));
    }

    [Theory]
    [InlineData("i'm doing well thanks")]
    [InlineData("thanks appreciate it")]
    [InlineData("hey quick question")]
    [InlineData("thank you cheers")]
    [InlineData("my husband pays the bill")]
    [InlineData("my son uses it")]
    [InlineData("do you have a spanish speaking agent")]
    [InlineData("keep speaking")]
    [InlineData("spanish speaking please")]
    public void Everyday_words_after_a_weak_cue_stay(string input) =>
        Assert.Equal(input, Customer(new RedactionSession(), input));

    [Theory]
    [InlineData("hang on")]
    [InlineData("huh")]
    [InlineData("pardon")]
    [InlineData("yes that's correct")]
    [InlineData("okay great")]
    [InlineData("sure thing")]
    public void A_bare_answer_to_a_name_question_that_is_no_name_stays(string answer)
    {
        var s = new RedactionSession();
        Agent(s, "can i get your full name please?");
        Assert.Equal(answer, Customer(s, answer));
    }

    [Fact]
    public void A_guess_after_a_weak_cue_is_not_remembered_for_the_rest_of_the_call()
    {
        var s = new RedactionSession();
        Assert.Equal("this is tech support", Agent(s, "this is tech support"));
        Customer(s, "hi i'm doing fine");
        Assert.Equal("tech support said i'm doing it right", Customer(s, "tech support said i'm doing it right"));
    }

    [Theory]
    [InlineData("i am ottoline vance", "i am [NAME]")]
    [InlineData("my name is will okonkwo", "my name is [NAME]")]
    [InlineData("my name is june abernathy", "my name is [NAME]")]
    [InlineData("hi, ines okafor calling from northwind", "hi, [NAME] calling from northwind")]
    [InlineData("i talked to a guy named tobias yesterday", "i talked to a guy named [NAME] yesterday")]
    [InlineData("someone called marisol said it was fixed", "someone called [NAME] said it was fixed")]
    [InlineData("i'm calling on behalf of reinhold", "i'm calling on behalf of [NAME]")]
    [InlineData("can i speak with oyelaran please", "can i speak with [NAME] please")]
    [InlineData("can i speak to a manager please", "can i speak to a manager please")]
    [InlineData("send it to P.O. Box 4417", "send it to P.O. Box [ADDRESS]")]
    public void A_name_is_masked_in_more_general_phrasings(string input, string expected) =>
        Assert.Equal(expected, Customer(new RedactionSession(), input));

    [Theory]
    [InlineData("i live with 2 roommates")]
    [InlineData("i live 20 miles away from the store")]
    [InlineData("my birthday is next week and my order number is 48213977")]
    public void Counts_distances_and_order_numbers_are_no_address_or_birth_date(string input) =>
        Assert.Equal(input, Customer(new RedactionSession(), input));

    [Fact]
    public void After_a_verification_question_only_a_number_shaped_like_a_date_is_a_birth_date()
    {
        var s = new RedactionSession();
        Agent(s, "to verify, can you confirm your full name?");
        Assert.Equal("the case number is 482913", Customer(s, "the case number is 482913"));
        Agent(s, "to verify, can you confirm your full name?");
        Assert.Equal("it's [DOB]", Customer(s, "it's 03031985"));
    }
}
