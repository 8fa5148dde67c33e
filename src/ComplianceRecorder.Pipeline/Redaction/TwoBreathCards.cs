namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// A card read in two breaths: per speaker, the previous final when it ended in a number kept as
/// harmless, so that a final starting with the rest of a Luhn-valid card redacts both.
/// </summary>
internal sealed class TwoBreathCards
{
    // Per speaker: the previous final when it ended in a kept number, with that number's digits and span.
    // two fields, not an array: a session is made per call, and most calls never hold a tail
    private Tail? _agent;
    private Tail? _customer;

    private ref Tail? Of(Speaker speaker) => ref speaker == Speaker.Agent ? ref _agent : ref _customer;

    private sealed record Tail(RedactionResult Result, string Digits, int Start, int End);

    /// <summary>Whether a kept number ending an utterance may be the first part of a card.</summary>
    public static bool MayContinue(string text, NumberRun tail) => tail.Digits.Length >= 4 && OnlyTrailing(text, tail.End);

    /// <summary>
    /// A final of this speaker ended: its kept tail, if it may continue, placed in the redacted text
    /// (<paramref name="fromEnd"/> is how much longer the redacted text is; nothing but punctuation follows the tail).
    /// </summary>
    public void Ended(Speaker speaker, RedactionResult result, NumberRun? tail, int fromEnd) =>
        Of(speaker) = tail is { } t ? new Tail(result, t.Digits, t.Start + fromEnd, t.End + fromEnd) : null;

    /// <summary>
    /// A card said in two breaths: the previous final of this speaker ended in a kept number, this one
    /// starts with one, and together they are a Luhn-valid card. Returns the previous final re-redacted.
    /// </summary>
    public RedactionResult? Continues(Speaker speaker, string text, NumberRun run)
    {
        if (!WouldContinue(speaker, text, run) || Of(speaker) is not { } tail)
        {
            return null;
        }
        Of(speaker) = null;
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

    /// <summary>Whether <paramref name="run"/> completes a card with this speaker's held tail; changes nothing (a partial asks this).</summary>
    public bool WouldContinue(Speaker speaker, string text, NumberRun run)
    {
        if (Of(speaker) is not { } tail || !OnlyLeading(text, run.Start))
        {
            return false;
        }
        var joined = tail.Digits + run.Digits;
        return joined.Length is >= 13 and <= 19 && Checksums.Luhn(joined);
    }

    // fillers may trail ("4539 1488, um"), as they may lead the next breath; any other word ends the number
    private static bool OnlyTrailing(string text, int end) => OnlyFillers(text.AsSpan(end));

    private static bool OnlyFillers(ReadOnlySpan<char> words)
    {
        // what is not a letter or a digit only separates; every word there may be must be a filler
        var at = 0;
        while (at < words.Length)
        {
            if (!char.IsLetterOrDigit(words[at]))
            {
                at++;
                continue;
            }
            var from = at;
            while (at < words.Length && char.IsLetterOrDigit(words[at]))
            {
                at++;
            }
            if (words[from..at] is not ("uh" or "um" or "and" or "then" or "Uh" or "Um" or "And" or "Then"))
            {
                return false;
            }
        }
        return true;
    }

    // fillers may come first ("uh, 1111"); any other word means a new sentence, not a continuation
    private static bool OnlyLeading(string text, int start) => OnlyFillers(text.AsSpan(0, start));
}
