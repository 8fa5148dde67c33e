namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// PCI DSS allows a card's last four digits to be shown, and calls refer to a card by them ("the card ending in four two
/// four two", "last four digits of the visa are 1234", "my visa ends with 9876"): such a reference is kept unless
/// <see cref="RedactionOptions.KeepCardLastFour"/>. It must be a card's: a card word in the reference itself (within its
/// clause) or a conversation about a card, and no PIN, CVV or social security number named in the utterance ("my ssn
/// ending in 6789", "the one ending in 4567" after a phone question are masked). Only four digits said alone count: four
/// read on from others, or followed by more after fillers, "and" or "then" ("ending in 4539 uh 1488 0343 6467"), are part
/// of one longer number, and four at the end of a partial or of a final that the next one continues are masked as any
/// number that may still grow into a card.
/// </summary>
internal static class CardLastFour
{
    // How many words before "ending in" or "last four" may name the card ("my old visa ending in").
    private const int CardReach = 4;

    public static bool IsReference(string text, List<Token> tokens, List<NumberRun> runs, int index, List<TopicMention> mentions, Topic conversation)
    {
        var run = runs[index];
        if (run.Digits.Length != 4 || run.HasMagnitude)
        {
            return false;
        }
        foreach (var m in mentions)
        {
            // the last four of a PIN, a security code or a social are no card's
            if (m.Topic is Topic.Pin or Topic.Cvv or Topic.Ssn)
            {
                return false;
            }
        }
        if (index + 1 < runs.Count && OnlyFillersBetween(text, tokens, run.End, runs[index + 1].Start))
        {
            return false;
        }
        var toks = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tokens);
        if (Trigger(text, toks, run) is not { } trigger)
        {
            return false;
        }
        var from = ClauseStart(text, toks, trigger);
        var named = false;
        foreach (var m in mentions)
        {
            if (m.Start < from || m.End > run.Start)
            {
                continue;
            }
            if (m.Topic is Topic.Phone or Topic.BankAccount or Topic.Routing)
            {
                return false;
            }
            // "ending in" alone is a card topic word too, but says nothing of what ends so
            named |= m.Topic == Topic.Card && !text.AsSpan(m.Start, m.End - m.Start).StartsWith("ending", StringComparison.OrdinalIgnoreCase);
        }
        return named || conversation == Topic.Card;
    }

    /// <returns>The index of the token that starts the reference ("ending", "ends", "last"), looking back from the digits.</returns>
    private static int? Trigger(string text, ReadOnlySpan<Token> toks, NumberRun run)
    {
        var k = toks.Length - 1;
        while (k >= 0 && toks[k].Start >= run.Start)
        {
            k--;
        }
        // the words between the reference and its digits: "ending in … 4242", "last four digits on the card are 1234";
        // a punctuation mark ends the window ("my pin, which is not the last four of my card, is 1234")
        for (var words = 0; k >= 0 && words < 8; k--)
        {
            ref readonly var t = ref toks[k];
            if (t.Kind is TokenKind.Space or TokenKind.Filler)
            {
                continue;
            }
            if (t.Kind == TokenKind.Punct)
            {
                return null;
            }
            var w = text.AsSpan(t.Start, t.End - t.Start);
            var before = Before(text, toks, k, out var at);
            if ((w.Equals("in", StringComparison.OrdinalIgnoreCase) || w.Equals("with", StringComparison.OrdinalIgnoreCase))
                && (before.Equals("ending", StringComparison.OrdinalIgnoreCase) || before.Equals("ends", StringComparison.OrdinalIgnoreCase)
                    || before.Equals("ended", StringComparison.OrdinalIgnoreCase)))
            {
                return at;
            }
            if ((w.Equals("four", StringComparison.OrdinalIgnoreCase) || w is "4") && before.Equals("last", StringComparison.OrdinalIgnoreCase))
            {
                return at;
            }
            if (!IsBetween(w))
            {
                return null;
            }
            words++;
        }
        return null;
    }

    /// <returns>The offset where the card may be named: a few words before the reference, not past a punctuation mark.</returns>
    private static int ClauseStart(string text, ReadOnlySpan<Token> toks, int trigger)
    {
        var from = toks[trigger].Start;
        for (int k = trigger - 1, words = 0; k >= 0 && words < CardReach; k--)
        {
            ref readonly var t = ref toks[k];
            if (t.Kind == TokenKind.Punct && text[t.Start] != '\'')
            {
                break;
            }
            if (t.Kind is not (TokenKind.Space or TokenKind.Filler))
            {
                from = t.Start;
                words++;
            }
        }
        return from;
    }

    // "4539 uh um uh 1488", "4539...1488", "four five three nine and then one four eight eight": one number said on
    private static bool OnlyFillersBetween(string text, List<Token> tokens, int from, int to)
    {
        foreach (ref readonly var t in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tokens))
        {
            if (t.Start < from || t.Kind is TokenKind.Space or TokenKind.Filler or TokenKind.Punct)
            {
                continue;
            }
            if (t.Start >= to)
            {
                return true;
            }
            var w = text.AsSpan(t.Start, t.End - t.Start);
            if (!w.Equals("and", StringComparison.OrdinalIgnoreCase) && !w.Equals("then", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }
        return true;
    }

    private static ReadOnlySpan<char> Before(string text, ReadOnlySpan<Token> toks, int k, out int at)
    {
        k--;
        while (k >= 0 && toks[k].Kind == TokenKind.Space)
        {
            k--;
        }
        at = Math.Max(k, 0);
        return k < 0 ? [] : text.AsSpan(toks[k].Start, toks[k].End - toks[k].Start);
    }

    private static bool IsBetween(ReadOnlySpan<char> word)
    {
        if (word.Length > 12)
        {
            return false;
        }
        Span<char> w = stackalloc char[word.Length];
        word.ToLowerInvariant(w);
        return IsBetweenLower(w);
    }

    private static bool IsBetweenLower(ReadOnlySpan<char> w) =>
        w is "is" or "are" or "was" or "were" or "be" or "digits" or "digit" or "numbers" or "number" or "the" or "of" or "on" or "card"
            or "cards" or "my" or "your" or "that" or "it's" or "its" or "one" or "visa" or "mastercard" or "amex" or "debit" or "credit";
}
