namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// A card read in two breaths: per speaker, the previous final when it ended in a number kept as
/// harmless, so that a final starting with the rest of a Luhn-valid card redacts both.
/// </summary>
internal sealed class TwoBreathCards
{
    // Per speaker: the previous final when it ended in a kept number, with that number's digits and span.
    private readonly Tail?[] _tails = new Tail?[2];

    private sealed record Tail(RedactionResult Result, string Digits, int Start, int End);

    /// <summary>Whether a kept number ending an utterance may be the first part of a card.</summary>
    public static bool MayContinue(string text, NumberRun tail) => tail.Digits.Length >= 4 && OnlyTrailing(text, tail.End);

    /// <summary>
    /// A final of this speaker ended: its kept tail, if it may continue, placed in the redacted text
    /// (<paramref name="fromEnd"/> is how much longer the redacted text is; nothing but punctuation follows the tail).
    /// </summary>
    public void Ended(Speaker speaker, RedactionResult result, NumberRun? tail, int fromEnd) =>
        _tails[(int)speaker] = tail is { } t ? new Tail(result, t.Digits, t.Start + fromEnd, t.End + fromEnd) : null;

    /// <summary>
    /// A card said in two breaths: the previous final of this speaker ended in a kept number, this one
    /// starts with one, and together they are a Luhn-valid card. Returns the previous final re-redacted.
    /// </summary>
    public RedactionResult? Continues(Speaker speaker, string text, NumberRun run)
    {
        if (_tails[(int)speaker] is not { } tail || !OnlyLeading(text, run.Start))
        {
            return null;
        }
        var joined = tail.Digits + run.Digits;
        if (joined.Length is < 13 or > 19 || !Checksums.Luhn(joined))
        {
            return null;
        }
        _tails[(int)speaker] = null;
        var prev = tail.Result;
        var placeholder = EntityType.Card.Placeholder();
        var shift = placeholder.Length - (tail.End - tail.Start);
        var entities = new List<RedactedEntity>(prev.Entities.Length + 1);
        foreach (var e in prev.Entities)
        {
            entities.Add(e.Start >= tail.End ? e with { Start = e.Start + shift, End = e.End + shift } : e);
        }
        entities.Add(new RedactedEntity(EntityType.Card, tail.Start, tail.Start + placeholder.Length));
        entities.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        return new RedactionResult(string.Concat(prev.Text.AsSpan(0, tail.Start), placeholder, prev.Text.AsSpan(tail.End)), [.. entities]);
    }

    private static bool OnlyTrailing(string text, int end)
    {
        foreach (var c in text.AsSpan(end))
        {
            if (char.IsLetterOrDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    private static bool OnlyLeading(string text, int start)
    {
        // fillers may come first ("uh, 1111"); any other word means a new sentence, not a continuation
        foreach (var word in text[..start].Split([' ', ',', '.', '-'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (word is not ("uh" or "um" or "and" or "then" or "Uh" or "Um" or "And" or "Then"))
            {
                return false;
            }
        }
        return true;
    }
}
