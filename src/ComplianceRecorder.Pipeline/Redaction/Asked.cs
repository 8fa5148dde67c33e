namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>What the agent asked the customer for, of the person: the customer's next answers are read in its light.</summary>
[Flags]
internal enum Asked : byte
{
    None = 0,
    Name = 1,
    Address = 2,
    BirthDate = 4,
    Spelling = 8,
    /// <summary>"can you confirm your name and address": a whole date given in answer is a date of birth.</summary>
    Verification = 16,
}

/// <summary>Reads an agent's utterance for a question about the person. Runs on agents' finals only.</summary>
internal static class Questions
{
    private static readonly string[] NamePhrases =
    [
        "your name", "the name", "full name", "first name", "last name", "surname", "who am i speaking", "who i'm speaking",
        "who i am speaking", "pleasure of speaking", "who do i have", "speaking with today", "may i ask who", "who's calling",
        "who is calling", "first and last", "your first", "what name", "which name", "whose name", "new name",
    ];

    private static readonly string[] AddressPhrases =
    [
        "address", "zip", "postal code", "postcode", "post code", "where do you live", "where you live", "what city", "which street",
    ];

    private static readonly string[] BirthPhrases = ["date of birth", "birth date", "birthdate", "birthday", "d o b", "dob", "born"];

    private static readonly string[] SpellingPhrases = ["spell", "spelling"];

    private static readonly string[] VerificationPhrases = ["verify", "confirm", "security", "verification"];

    public static Asked Of(string text)
    {
        var asked = Asked.None;
        if (Any(text, NamePhrases))
        {
            asked |= Asked.Name;
        }
        if (Any(text, AddressPhrases) && !OnlyOtherAddresses(text))
        {
            asked |= Asked.Address;
        }
        if (Any(text, BirthPhrases))
        {
            asked |= Asked.BirthDate;
        }
        if (Any(text, SpellingPhrases))
        {
            asked |= Asked.Spelling;
        }
        if (asked != Asked.None && Any(text, VerificationPhrases))
        {
            asked |= Asked.Verification;
        }
        return asked;
    }

    // an email, web or IP address is not where someone lives
    private static bool OnlyOtherAddresses(string text) =>
        !text.Contains("zip", StringComparison.OrdinalIgnoreCase)
        && (text.Contains("email address", StringComparison.OrdinalIgnoreCase) || text.Contains("e-mail address", StringComparison.OrdinalIgnoreCase)
            || text.Contains("ip address", StringComparison.OrdinalIgnoreCase) || text.Contains("web address", StringComparison.OrdinalIgnoreCase));

    private static bool Any(string text, string[] phrases)
    {
        foreach (var p in phrases)
        {
            var at = text.IndexOf(p, StringComparison.OrdinalIgnoreCase);
            // whole words only: "dob" is not in "adobe"
            while (at >= 0)
            {
                var end = at + p.Length;
                if ((at == 0 || !char.IsLetter(text[at - 1])) && (end == text.Length || !char.IsLetter(text[end]) || p.Length >= 5))
                {
                    return true;
                }
                at = text.IndexOf(p, at + 1, StringComparison.OrdinalIgnoreCase);
            }
        }
        return false;
    }
}
