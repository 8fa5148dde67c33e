namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// The subject of the conversation as a listener keeps it: the agent's question ("what's the security
/// code?") makes the customer's next numbers sensitive, and the subject stays in force over a few
/// finals, or as long as numbers keep answering it, until another question moves on. A topic named
/// right beside a number outranks it.
/// </summary>
internal sealed class TopicState
{
    // How many finals a topic stays in force after it was last mentioned or used.
    private const int TopicHorizon = 3;
    // How many other words may stand between a topic word and its number, before it and after it.
    // Counted in words, not characters, so that numbers turned into placeholders do not move topics closer.
    private const int ReachBefore = 6;
    private const int ReachAfter = 1;

    // How many of the customer's finals may still answer the agent's question about a name, an address or a birth date.
    private const int AskedHorizon = 2;

    private int _turnsLeft;
    private int _askedLeft;

    /// <summary>What the agent's last question asked for of the person: a name, an address, a birth date, a spelling.</summary>
    public Asked Asked { get; private set; }

    /// <summary>The topic in force for the conversation, whatever an utterance names itself.</summary>
    public Topic Current { get; private set; }

    /// <summary>Whether a card's own name ("card", "visa") made it the topic, not a bare "ending in".</summary>
    public bool CardNamed { get; private set; }

    /// <summary>
    /// The agent's last question asked for a harmless number ("what's your order number?"). Only partials
    /// read it: a number they end on is then shown as it is being said, as its final would be.
    /// </summary>
    public bool AskedHarmless { get; private set; }

    /// <summary>A final was said: its mentions set the topic, or its question moves on, or the topic fades.</summary>
    public void Advance(string text, Speaker speaker, List<TopicMention> mentions, bool usedTopic)
    {
        AdvanceAsked(text, speaker);
        var last = Topic.None;
        var onlyBare = true;
        var cardNamed = false;
        var harmless = false;
        foreach (var m in mentions)
        {
            if (m.Topic.IsSensitive())
            {
                last = m.Topic;
                var bare = Topics.IsBareEnding(text, m);
                onlyBare &= bare;
                cardNamed |= m.Topic == Topic.Card && !bare;
            }
            harmless |= m.Topic == Topic.Harmless;
        }
        if (last != Topic.None && onlyBare && Current.IsSensitive())
        {
            // "the one ending in 6789" after a social, a phone or a card: still that subject, as it was
            last = Current;
        }
        else if (last != Topic.None)
        {
            CardNamed = last == Topic.Card && cardNamed;
        }
        if (speaker == Speaker.Agent && text.Contains('?'))
        {
            AskedHarmless = harmless && last == Topic.None;
        }
        if (last != Topic.None)
        {
            Current = last;
            _turnsLeft = TopicHorizon;
        }
        else if (speaker == Speaker.Agent && text.Contains('?') && !AsksForANumber(text))
        {
            // the agent moved on to another question
            Current = Topic.None;
        }
        else if (usedTopic)
        {
            _turnsLeft = TopicHorizon;
        }
        else if (--_turnsLeft <= 0)
        {
            Current = Topic.None;
        }
    }

    private void AdvanceAsked(string text, Speaker speaker)
    {
        if (speaker == Speaker.Agent)
        {
            var asked = Questions.Of(text);
            if (asked != Asked.None)
            {
                Asked = asked;
                _askedLeft = AskedHorizon;
            }
            else if (text.Contains('?'))
            {
                // the agent moved on to another question
                Asked = Asked.None;
            }
        }
        else if (Asked != Asked.None && --_askedLeft <= 0)
        {
            Asked = Asked.None;
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
    public static List<TopicMention> QualifyCards(string text, List<Token> tokens, List<TopicMention> mentions)
    {
        for (var i = 1; i < mentions.Count; i++)
        {
            // "the visa ending in", "my card that's ending in": one mention of a card by its name, not a bare "ending in"
            var (previous, m) = (mentions[i - 1], mentions[i]);
            if (previous.Topic == Topic.Card && Topics.IsBareEnding(text, m)
                && text.AsSpan(previous.End, m.Start - previous.End).IndexOfAny("?.!,;") < 0 && WordsBetween(text, tokens, previous.End, m.Start) <= 2)
            {
                mentions[i - 1] = previous with { End = m.End };
                mentions.RemoveAt(i--);
            }
        }
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

    /// <summary>The topic an utterance names beside a number, if any.</summary>
    public static Topic Local(string text, List<Token> tokens, List<TopicMention> mentions, NumberRun run) => Local(text, tokens, mentions, run, []);

    /// <summary>
    /// As above, not counting words already claimed (a name, an address): they become one placeholder, which is
    /// not counted either, so redacting the output again finds the topic as far away as the first time did.
    /// </summary>
    /// <param name="conversation">The topic in force: a bare "ending in" beside the number refers to it, when it is sensitive.</param>
    public static Topic Local(string text, List<Token> tokens, List<TopicMention> mentions, NumberRun run, ReadOnlySpan<bool> claimed,
        Topic conversation = Topic.None)
    {
        // the nearest mention wins; one after the number ("467 3395 office") counts only right beside it
        var best = Topic.None;
        var bestDistance = int.MaxValue;
        var bare = false;
        foreach (var m in mentions)
        {
            if (!claimed.IsEmpty && claimed[m.Start])
            {
                // a topic word inside what is masked anyway ("… dot dollars" of an email) is gone from the output too
                continue;
            }
            var distance = m.End <= run.Start ? WordsBetween(text, tokens, m.End, run.Start, claimed) is var b && b <= ReachBefore ? b : int.MaxValue
                : m.Start >= run.End ? WordsBetween(text, tokens, run.End, m.Start, claimed) is var a && a <= ReachAfter ? a : int.MaxValue
                : int.MaxValue;
            if (distance < bestDistance)
            {
                best = m.Topic;
                bestDistance = distance;
                bare = Topics.IsBareEnding(text, m);
            }
        }
        // "the one ending in 6789" after a social was given: the social's last four, not a card's; but only a number
        // that topic takes ("my account ending in 0012345678" under a social question is still masked as a card's)
        return bare && conversation.IsSensitive() && NumberClassifier.Takes(conversation, run) ? conversation : best;
    }

    // Plain words between two offsets: not numbers, fillers or our own placeholders.
    private static int WordsBetween(string text, List<Token> tokens, int from, int to) => WordsBetween(text, tokens, from, to, []);

    private static int WordsBetween(string text, List<Token> tokens, int from, int to, ReadOnlySpan<bool> claimed)
    {
        var words = 0;
        // in place (the list's enumerator copies each token out) and from the first token at or after `from`, found by a
        // binary search over tokens in text order: this runs per mention and number
        var all = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tokens);
        var (lo, hi) = (0, all.Length);
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            (lo, hi) = all[mid].Start >= from ? (lo, mid) : (mid + 1, hi);
        }
        foreach (ref readonly var t in all[lo..])
        {
            if (t.Start >= to)
            {
                break;
            }
            if (t.Start >= from && t.Kind == TokenKind.Word && char.IsLetter(text[t.Start]) && (t.Start == 0 || text[t.Start - 1] != '[')
                && (claimed.IsEmpty || !claimed[t.Start]))
            {
                words++;
            }
        }
        return words;
    }
}
