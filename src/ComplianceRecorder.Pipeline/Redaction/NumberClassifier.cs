namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// What a number is: a card by its checksum, an SSN or a phone by how it is written, or by the topic
/// in force when it was said; amounts, dates, times and references are harmless and stay.
/// </summary>
internal static class NumberClassifier
{
    public static EntityType? Classify(string text, NumberRun run, Topic local, Topic conversation)
    {
        var n = run.Digits.Length;
        if (n == 0)
        {
            return null;
        }
        if (n is >= 13 and <= 19 && Checksums.Luhn(run.Digits))
        {
            return EntityType.Card;
        }
        if (Patterns.SsnShape().IsMatch(run.Shape))
        {
            return EntityType.Ssn;
        }

        var topic = local != Topic.None ? local : conversation;
        if (ByTopic(topic, run, n) is { } byTopic)
        {
            return byTopic;
        }
        // the card named beside an answer to a question about its code ("the card ending in 4539, it's 321"): digits too few
        // for a card are the code asked for
        if (local == Topic.Card && conversation is Topic.Cvv or Topic.Pin or Topic.Expiry && ByTopic(conversation, run, n) is { } code)
        {
            return code;
        }
        if (IsHarmless(text, run))
        {
            return n >= 13 && !run.HasMagnitude ? EntityType.Number : null;
        }
        // a number written like a phone number is one, whatever word stands next to it ("… extension 204")
        var before = PreviousNonSpace(text, run.Start);
        if ((before == '+' && n is >= 7 and <= 15) || (!run.Spoken && LooksLikePhone(run.Shape, n)))
        {
            return EntityType.Phone;
        }
        if (topic == Topic.Harmless)
        {
            return n >= 13 ? EntityType.Number : null;
        }
        if (run.Spoken && n >= 5 && run.SpokenWords >= 4)
        {
            // five or more digits read out one by one are an identifier being dictated, even before it is whole
            return n is 10 or 11 ? EntityType.Phone : EntityType.Number;
        }
        return n >= 13 ? EntityType.Number : null;
    }

    /// <summary>Whether <paramref name="topic"/> takes a number of this run's length as its own.</summary>
    public static bool Takes(Topic topic, NumberRun run) => ByTopic(topic, run, run.Digits.Length) is not null;

    private static EntityType? ByTopic(Topic topic, NumberRun run, int n) => topic switch
    {
        Topic.Card when n >= 4 => EntityType.Card,
        Topic.Cvv when n is 3 or 4 => EntityType.Cvv,
        Topic.Cvv when n >= 13 => EntityType.Card,
        Topic.Expiry when n is >= 3 and <= 6 => EntityType.Expiry,
        Topic.Pin when n is >= 4 and <= 8 => EntityType.Pin,
        Topic.Ssn when n is >= 2 and <= 9 => EntityType.Ssn,
        Topic.Phone when n is >= 3 and <= 15 => EntityType.Phone,
        Topic.BankAccount when n >= 4 => EntityType.BankAccount,
        Topic.Routing when n >= 4 => n == 9 && Checksums.AbaRouting(run.Digits) ? EntityType.Routing : EntityType.BankAccount,
        _ => null,
    };

    public static bool IsHarmless(string text, NumberRun run) =>
        run.HasMagnitude || Patterns.HarmlessShape().IsMatch(run.Shape) || IsMarkedHarmless(text, run);

    /// <summary>Harmless by what is written beside it (a currency, a number sign, a percent, a clock's colon), not by its shape.</summary>
    public static bool IsMarkedHarmless(string text, NumberRun run) =>
        PreviousNonSpace(text, run.Start) is '$' or '€' or '£' or '#' || (run.End < text.Length && text[run.End] is '%' or ':');

    private static bool LooksLikePhone(string shape, int n)
    {
        if (n is < 7 or > 15)
        {
            return false;
        }
        Span<int> sizes = stackalloc int[8];
        var groups = 0;
        var size = 0;
        var dashOrDot = false;
        foreach (var c in shape)
        {
            if (c == 'd')
            {
                size++;
                continue;
            }
            dashOrDot |= c is '-' or '.';
            if (size > 0)
            {
                if (groups == sizes.Length)
                {
                    return false;
                }
                sizes[groups++] = size;
                size = 0;
            }
        }
        if (size > 0 && groups < sizes.Length)
        {
            sizes[groups++] = size;
        }
        if (groups == 2)
        {
            // 555-1234 or 0961-7596216, but not a range of years (1990-2000)
            return dashOrDot && ((sizes[0] == 3 && sizes[1] == 4) || n >= 10);
        }
        foreach (var s in sizes[..groups])
        {
            if (s > 5)
            {
                return false;
            }
        }
        return groups >= 3;
    }

    private static char PreviousNonSpace(string text, int index)
    {
        for (var i = index - 1; i >= 0; i--)
        {
            if (!char.IsWhiteSpace(text[i]))
            {
                return text[i];
            }
        }
        return '\0';
    }
}
