namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// PCI DSS allows a card's last four digits to be shown, and calls refer to a card by them ("the card ending in four two
/// four two", "last four digits are 1234", "ends with 9876"): such a reference is kept unless
/// <see cref="RedactionOptions.MaskCardLastFour"/>. Only four digits said alone after those words count; four digits read
/// on from others are one longer number, and four at the end of a partial or of a final that the next one continues are
/// masked as any number that may still grow into a card.
/// </summary>
internal static class CardLastFour
{
    public static bool IsReference(string text, List<Token> tokens, NumberRun run)
    {
        if (run.Digits.Length != 4 || run.HasMagnitude)
        {
            return false;
        }
        var toks = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tokens);
        var k = toks.Length - 1;
        while (k >= 0 && toks[k].Start >= run.Start)
        {
            k--;
        }
        // the words between the reference and its digits: "ending in … 4242", "last four digits on the card are 1234"
        for (var words = 0; k >= 0 && words < 8; k--)
        {
            ref readonly var t = ref toks[k];
            if (t.Kind is TokenKind.Space or TokenKind.Filler || (t.Kind == TokenKind.Punct && text[t.Start] is ',' or ':'))
            {
                continue;
            }
            var w = text.AsSpan(t.Start, t.End - t.Start);
            var before = Before(text, toks, k);
            if ((w.Equals("in", StringComparison.OrdinalIgnoreCase) || w.Equals("with", StringComparison.OrdinalIgnoreCase))
                && (before.Equals("ending", StringComparison.OrdinalIgnoreCase) || before.Equals("ends", StringComparison.OrdinalIgnoreCase)
                    || before.Equals("ended", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
            if ((w.Equals("four", StringComparison.OrdinalIgnoreCase) || w is "4") && before.Equals("last", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
            if (!IsBetween(w))
            {
                return false;
            }
            words++;
        }
        return false;
    }

    private static ReadOnlySpan<char> Before(string text, ReadOnlySpan<Token> toks, int k)
    {
        k--;
        while (k >= 0 && toks[k].Kind == TokenKind.Space)
        {
            k--;
        }
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
