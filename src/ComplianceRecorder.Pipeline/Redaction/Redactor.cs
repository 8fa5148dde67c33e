using System.Text;

namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// A redacted utterance: the text as stored and shown, and where its placeholders are.
/// <see cref="Unsettled"/>: it ends in a number that the speaker's next final may turn out to continue
/// (a card read in two breaths), so a recorder holds it back briefly. <see cref="CorrectsPrevious"/>:
/// this utterance completed such a number, and here is the previous final of the same speaker redacted again.
/// </summary>
public sealed record RedactionResult(string Text, RedactedEntity[] Entities, bool Unsettled = false, RedactionResult? CorrectsPrevious = null)
{
    public int Count(EntityType type)
    {
        var n = 0;
        foreach (var e in Entities)
        {
            if (e.Type == type)
            {
                n++;
            }
        }
        return n;
    }
}

public enum Speaker : byte { Customer, Agent }

/// <summary>
/// Redacts the utterances of one conversation in call order. It is stateful the way a listener is:
/// the agent's question ("what's the security code?") makes the customer's next numbers sensitive,
/// and a number dictated over several turns stays sensitive until the topic changes.
/// Partials are redacted with the context the finals built, but never change it.
/// </summary>
public sealed class RedactionSession
{
    // How many finals a topic stays in force after it was last mentioned or used.
    private const int TopicHorizon = 3;
    // How many other words may stand between a topic word and its number, before it and after it.
    // Counted in words, not characters, so that numbers turned into placeholders do not move topics closer.
    private const int ReachBefore = 6;
    private const int ReachAfter = 1;

    private Topic _topic;
    private int _turnsLeft;

    // scratch for the scan, reused on each thread: Redact never yields, so no two calls share it at once
    [ThreadStatic]
    private static List<Token>? t_tokens;

    // Per speaker: the previous final when it ended in a kept number, with that number's digits and span.
    private readonly Tail?[] _tails = new Tail?[2];

    private sealed record Tail(RedactionResult Result, string Digits, int Start, int End);

    public RedactionResult Redact(string text, Speaker speaker, bool isFinal)
    {
        Span<bool> claimed = text.Length < 1024 ? stackalloc bool[text.Length + 1] : new bool[text.Length + 1];
        var spans = new List<RedactedEntity>(4);
        var tokens = Lexicon.Scan(text, t_tokens ??= new List<Token>(64), out var cues);
        ClaimPatterns(text, cues, claimed, spans);

        var mentions = QualifyCards(text, tokens, Topics.Find(text, tokens));
        var usedTopic = false;
        var runs = NumberRuns.Find(text, tokens, claimed);
        NumberRun? lastKept = null;
        RedactionResult? corrected = null;
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            var local = LocalTopic(text, tokens, mentions, run);
            var type = Classify(text, run, local, _topic);
            if (type is null && i == 0 && isFinal && Continues(speaker, text, run) is { } previous)
            {
                type = EntityType.Card;
                corrected = previous;
            }
            if (type is { } t)
            {
                spans.Add(new RedactedEntity(t, run.Start, run.End));
                usedTopic |= local == Topic.None && _topic.IsSensitive();
                lastKept = null;
            }
            else
            {
                lastKept = run;
            }
        }

        var result = Apply(text, spans);
        var unsettled = lastKept is { } tail && tail.Digits.Length >= 4 && OnlyTrailing(text, tail.End)
            && LocalTopic(text, tokens, mentions, tail) != Topic.Harmless && !IsHarmless(text, tail);
        if (isFinal)
        {
            Advance(text, speaker, mentions, usedTopic);
            // nothing but punctuation follows the tail, so its place in the output is counted from the end
            var fromEnd = result.Text.Length - text.Length;
            _tails[(int)speaker] = unsettled ? new Tail(result, lastKept!.Value.Digits, lastKept.Value.Start + fromEnd, lastKept.Value.End + fromEnd) : null;
        }
        return unsettled || corrected is not null ? result with { Unsettled = unsettled, CorrectsPrevious = corrected } : result;
    }

    /// <summary>
    /// A card said in two breaths: the previous final of this speaker ended in a kept number, this one
    /// starts with one, and together they are a Luhn-valid card. Returns the previous final re-redacted.
    /// </summary>
    private RedactionResult? Continues(Speaker speaker, string text, NumberRun run)
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

    private void Advance(string text, Speaker speaker, List<TopicMention> mentions, bool usedTopic)
    {
        var last = Topic.None;
        foreach (var m in mentions)
        {
            if (m.Topic.IsSensitive())
            {
                last = m.Topic;
            }
        }
        if (last != Topic.None)
        {
            _topic = last;
            _turnsLeft = TopicHorizon;
        }
        else if (speaker == Speaker.Agent && text.Contains('?') && !AsksForANumber(text))
        {
            // the agent moved on to another question
            _topic = Topic.None;
        }
        else if (usedTopic)
        {
            _turnsLeft = TopicHorizon;
        }
        else if (--_turnsLeft <= 0)
        {
            _topic = Topic.None;
        }
    }

    // "and the number?", "the digits?" — still the same subject
    private static bool AsksForANumber(string text) =>
        text.Contains("number", StringComparison.OrdinalIgnoreCase) || text.Contains("digits", StringComparison.OrdinalIgnoreCase)
        || text.Contains("code", StringComparison.OrdinalIgnoreCase) || text.Contains("rest of it", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// "The three digits on the back of the card", "the expiry date on your card": a card named right after
    /// a code's own words says whose code it is, and the number that answers is that code, not part of a
    /// card. Further off ("thanks for the security code, now your card number?") the card is a new subject.
    /// </summary>
    private static List<TopicMention> QualifyCards(string text, List<Token> tokens, List<TopicMention> mentions)
    {
        for (var i = 1; i < mentions.Count; i++)
        {
            var (previous, m) = (mentions[i - 1], mentions[i]);
            if (m.Topic == Topic.Card && previous.Topic is Topic.Cvv or Topic.Expiry or Topic.Pin
                && text.AsSpan(previous.End, m.Start - previous.End).IndexOfAny("?.!,;") < 0 && WordsBetween(text, tokens, previous.End, m.Start) <= 3)
            {
                mentions[i] = m with { Topic = previous.Topic };
            }
        }
        return mentions;
    }

    private static Topic LocalTopic(string text, List<Token> tokens, List<TopicMention> mentions, NumberRun run)
    {
        // the nearest mention wins; one after the number ("467 3395 office") counts only right beside it
        var best = Topic.None;
        var bestDistance = int.MaxValue;
        foreach (var m in mentions)
        {
            var distance = m.End <= run.Start ? WordsBetween(text, tokens, m.End, run.Start) is var b && b <= ReachBefore ? b : int.MaxValue
                : m.Start >= run.End ? WordsBetween(text, tokens, run.End, m.Start) is var a && a <= ReachAfter ? a : int.MaxValue
                : int.MaxValue;
            if (distance < bestDistance)
            {
                best = m.Topic;
                bestDistance = distance;
            }
        }
        return best;
    }

    // Plain words between two offsets: not numbers, fillers or our own placeholders.
    private static int WordsBetween(string text, List<Token> tokens, int from, int to)
    {
        var words = 0;
        foreach (var t in tokens)
        {
            if (t.Start >= to)
            {
                break;
            }
            if (t.Start >= from && t.Kind == TokenKind.Word && char.IsLetter(text[t.Start]) && (t.Start == 0 || text[t.Start - 1] != '['))
            {
                words++;
            }
        }
        return words;
    }

    private static EntityType? Classify(string text, NumberRun run, Topic local, Topic conversation)
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

    private static bool IsHarmless(string text, NumberRun run)
    {
        if (run.HasMagnitude || Patterns.HarmlessShape().IsMatch(run.Shape))
        {
            return true;
        }
        var before = PreviousNonSpace(text, run.Start);
        if (before is '$' or '€' or '£' or '#')
        {
            return true;
        }
        return run.End < text.Length && text[run.End] is '%' or ':';
    }

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

    private static void ClaimPatterns(string text, Cues cues, Span<bool> claimed, List<RedactedEntity> spans)
    {
        // cheap tests first: most utterances hold none of these, and the patterns are the costly part
        if (text.Contains('@'))
        {
            Claim(Patterns.WrittenEmail(), EntityType.Email, text, claimed, spans, null);
        }
        // a spoken address always says "dot" (or "underscore"), written ones hold '@' or '.'
        if ((cues & Cues.SpokenDot) != 0 || ((cues & Cues.SpokenAt) != 0 && AtWrittenDomain(text)))
        {
            Claim(Patterns.SpokenEmail(), EntityType.Email, text, claimed, spans, null);
            Claim(Patterns.UnfinishedSpokenEmail(), EntityType.Email, text, claimed, spans, null);
        }
        var digit = text.AsSpan().IndexOfAnyInRange('0', '9');
        if (digit < 0)
        {
            return;
        }
        if (MayHoldIban(text))
        {
            ClaimIbans(text, claimed, spans);
        }
        if (HasDigitDotDigit(text))
        {
            Claim(Patterns.IpV4(), EntityType.IpAddress, text, claimed, spans, null);
        }
        if (text.AsSpan().Count(':') >= 2)
        {
            Claim(Patterns.IpV6(), EntityType.IpAddress, text, claimed, spans, static s => s.Count(':') >= 2 && s.ContainsAnyInRange('0', '9'));
        }
    }

    // "john at gmail.com": " at " followed by a word with a dot inside it
    private static bool AtWrittenDomain(string text)
    {
        var at = text.IndexOf(" at ", StringComparison.OrdinalIgnoreCase);
        while (at >= 0)
        {
            var word = text.AsSpan(at + 4);
            var end = word.IndexOfAny(' ', '\n');
            word = end < 0 ? word : word[..end];
            var dot = word.IndexOf('.');
            if (dot > 0 && dot + 1 < word.Length && char.IsAsciiLetter(word[dot + 1]))
            {
                return true;
            }
            at = text.IndexOf(" at ", at + 4, StringComparison.OrdinalIgnoreCase);
        }
        return false;
    }

    private static bool HasDigitDotDigit(string text)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        while (dot > 0 && dot + 1 < text.Length)
        {
            if (char.IsAsciiDigit(text[dot - 1]) && char.IsAsciiDigit(text[dot + 1]))
            {
                return true;
            }
            dot = text.IndexOf('.', dot + 1);
        }
        return false;
    }

    // An IBAN starts with two letters and two digits; without that, the pattern need not run.
    private static bool MayHoldIban(string text)
    {
        for (var i = 2; i + 1 < text.Length; i++)
        {
            if (char.IsAsciiDigit(text[i]) && char.IsAsciiDigit(text[i + 1]) && char.IsAsciiLetter(text[i - 1]) && char.IsAsciiLetter(text[i - 2]))
            {
                return true;
            }
        }
        return false;
    }

    // The pattern may run on into the next word ("GB29…19 to"); the checksum finds where the IBAN ends.
    private static void ClaimIbans(string text, Span<bool> claimed, List<RedactedEntity> spans)
    {
        foreach (var m in Patterns.Iban().EnumerateMatches(text))
        {
            var length = m.Length;
            while (length >= 15 && !Checksums.Iban(text.AsSpan(m.Index, length)))
            {
                var cut = text.AsSpan(m.Index, length).LastIndexOf(' ');
                length = cut < 0 ? 0 : cut;
            }
            if (length >= 15 && !claimed.Slice(m.Index, length).Contains(true))
            {
                claimed.Slice(m.Index, length).Fill(true);
                spans.Add(new RedactedEntity(EntityType.Iban, m.Index, m.Index + length));
            }
        }
    }

    private delegate bool Validator(ReadOnlySpan<char> value);

    private static void Claim(System.Text.RegularExpressions.Regex regex, EntityType type, string text, Span<bool> claimed, List<RedactedEntity> spans, Validator? valid)
    {
        foreach (var m in regex.EnumerateMatches(text))
        {
            // an earlier, more specific pattern may already own part of this match: spans never overlap
            if (claimed.Slice(m.Index, m.Length).Contains(true) || (valid is not null && !valid(text.AsSpan(m.Index, m.Length))))
            {
                continue;
            }
            claimed.Slice(m.Index, m.Length).Fill(true);
            spans.Add(new RedactedEntity(type, m.Index, m.Index + m.Length));
        }
    }

    private static RedactionResult Apply(string text, List<RedactedEntity> spans)
    {
        if (spans.Count == 0)
        {
            return new RedactionResult(text, []);
        }
        spans.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        var sb = new StringBuilder(text.Length);
        var entities = new RedactedEntity[spans.Count];
        var at = 0;
        for (var i = 0; i < spans.Count; i++)
        {
            var s = spans[i];
            sb.Append(text, at, s.Start - at);
            var placeholder = s.Type.Placeholder();
            entities[i] = new RedactedEntity(s.Type, sb.Length, sb.Length + placeholder.Length);
            sb.Append(placeholder);
            at = s.End;
        }
        sb.Append(text, at, text.Length - at);
        return new RedactionResult(sb.ToString(), entities);
    }
}
