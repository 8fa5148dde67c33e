using System.Text;

namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// Redacts the utterances of one conversation in call order. It is stateful the way a listener is:
/// the agent's question ("what's the security code?") makes the customer's next numbers sensitive,
/// and a number dictated over several turns stays sensitive until the topic changes.
/// Partials are redacted with the context the finals built, but never change it.
/// </summary>
public sealed class RedactionSession
{
    private readonly TopicState _topic = new();
    private readonly TwoBreathCards _cards = new();
    private readonly PersonalDetails _people;
    private readonly bool _keepCardLastFour;
    // the first last four each side kept in this call
    private string? _customerLastFour;
    private string? _agentLastFour;

    private static readonly RedactionOptions Defaults = new();

    public RedactionSession()
        : this(Defaults)
    {
    }

    public RedactionSession(RedactionOptions options)
    {
        _people = new PersonalDetails(options.KeepAgentNames);
        _keepCardLastFour = options.KeepCardLastFour;
    }

    // scratch for the scan, reused on each thread: Redact never yields, so no two calls share it at once
    [ThreadStatic]
    private static List<Token>? t_tokens;
    [ThreadStatic]
    private static List<RedactedEntity>? t_spans;
    [ThreadStatic]
    private static StringBuilder? t_text;

    public RedactionResult Redact(string text, Speaker speaker, bool isFinal)
    {
        Span<bool> claimed = text.Length < 1024 ? stackalloc bool[text.Length + 1] : new bool[text.Length + 1];
        var spans = t_spans ??= new List<RedactedEntity>(4);
        spans.Clear();
        var tokens = Lexicon.Scan(text, t_tokens ??= new List<Token>(64), out var cues, out var classes);
        WrittenPatterns.Claim(text, cues, claimed, spans);

        var mentions = TopicState.QualifyCards(text, tokens, Topics.Find(text, tokens));
        var usedTopic = false;
        var runs = NumberRuns.Find(text, tokens, claimed);
        // names, addresses and birth dates claim their numbers (house numbers, zips, dates) before numbers are classified
        _people.Claim(text, tokens, cues, classes, runs, speaker, isFinal, _topic.Asked, claimed, spans);
        NumberRun? lastKept = null;
        RedactionResult? corrected = null;
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            if (claimed[run.Start])
            {
                if (claimed[run.Start..run.End].Contains(false))
                {
                    // a number read on from a masked zip or house number ("98102 4111 1111 1111 1111"): the rest could
                    // be a card or a social, so it is masked with what it starts in
                    spans.Add(new RedactedEntity(Overlapped(spans, run), run.Start, run.End));
                    lastKept = null;
                }
                continue;
            }
            var local = TopicState.Local(text, tokens, mentions, run, claimed);
            var type = NumberClassifier.Classify(text, run, local, _topic.Current);
            if (type == EntityType.Card && _keepCardLastFour && CardLastFour.IsReference(text, tokens, runs, i, mentions, _topic.Current)
                && KeepsLastFour(speaker, run.Digits, isFinal))
            {
                // "the card ending in 4242": what PCI DSS lets be shown; kept as a number that may still grow, below
                type = null;
            }
            // a card by the topic may still complete the previous final's kept tail ("the card ending in 4539" … "1488 0343 6467")
            if (type is null or EntityType.Card && i == 0 && isFinal && _cards.Continues(speaker, text, run) is { } previous)
            {
                type = EntityType.Card;
                corrected = previous;
            }
            else if (type is null && i == 0 && !isFinal && _cards.WouldContinue(speaker, text, run))
            {
                // the second breath of a card, still being said: masked already, though only its final corrects the first
                type = EntityType.Card;
            }
            if (type is not null && claimed[run.Start..run.End].Contains(true))
            {
                // a run reaching into what is masked already ("12 market street #12, 98102" read on into the zip) is part of
                // it: masked over the union (Apply merges the two), named as what it reaches into
                type = Overlapped(spans, run);
            }
            if (type is { } t)
            {
                spans.Add(new RedactedEntity(t, run.Start, run.End));
                usedTopic |= local == Topic.None && _topic.Current.IsSensitive();
                lastKept = null;
            }
            else
            {
                lastKept = run;
            }
        }

        var unsettled = lastKept is { } tail && TwoBreathCards.MayContinue(text, tail)
            && TopicState.Local(text, tokens, mentions, tail, claimed) != Topic.Harmless && !NumberClassifier.IsHarmless(text, tail);
        // the answer to a question about an order or a case number is shown as it is said, as its final will be
        if (unsettled && !isFinal && !(_topic.AskedHarmless && _topic.Current == Topic.None))
        {
            // a partial is shown while it is still being said: digits at its end may be the start of a card
            // ("it's 5500 0000" before the rest), so they are masked until a final settles what they are
            spans.Add(new RedactedEntity(EntityType.Number, lastKept!.Value.Start, lastKept.Value.End));
        }
        var result = Apply(text, spans);
        if (isFinal)
        {
            _topic.Advance(text, speaker, mentions, usedTopic);
            _cards.Ended(speaker, result, unsettled ? lastKept : null, result.Text.Length - text.Length);
        }
        return unsettled || corrected is not null ? result with { Unsettled = unsettled, CorrectsPrevious = corrected } : result;
    }

    /// <summary>
    /// One last four a speaker per card question: a different one while a card is still the subject may be the next
    /// group of the whole number, dictated as "ending in 4539", "ending in 1488", …, and is masked.
    /// </summary>
    private bool KeepsLastFour(Speaker speaker, string digits, bool isFinal)
    {
        ref var kept = ref speaker == Speaker.Agent ? ref _agentLastFour : ref _customerLastFour;
        if (kept is not null && kept != digits && _topic.Current == Topic.Card)
        {
            return false;
        }
        if (isFinal)
        {
            kept ??= digits;
        }
        return true;
    }

    private static EntityType Overlapped(List<RedactedEntity> spans, NumberRun run)
    {
        foreach (var s in spans)
        {
            if (s.Start < run.End && run.Start < s.End)
            {
                return s.Type;
            }
        }
        return EntityType.Number;
    }

    /// <summary>The text with each span replaced by its placeholder; spans that overlap are masked as one, over their union.</summary>
    internal static RedactionResult Apply(string text, List<RedactedEntity> spans)
    {
        if (spans.Count == 0)
        {
            return new RedactionResult(text, []);
        }
        // the longer first where two start together, so that a span inside another is merged into it
        spans.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.End.CompareTo(a.End));
        var sb = (t_text ??= new StringBuilder(256)).Clear();
        var entities = new RedactedEntity[spans.Count];
        var (at, n) = (0, 0);
        for (var i = 0; i < spans.Count; i++)
        {
            var s = spans[i];
            // two detections that overlap are masked as one, over their union, named by the one that starts first
            var end = s.End;
            while (i + 1 < spans.Count && spans[i + 1].Start < end)
            {
                end = Math.Max(end, spans[++i].End);
            }
            sb.Append(text, at, s.Start - at);
            var placeholder = s.Type.Placeholder();
            entities[n++] = new RedactedEntity(s.Type, sb.Length, sb.Length + placeholder.Length);
            sb.Append(placeholder);
            at = end;
        }
        sb.Append(text, at, text.Length - at);
        if (n < entities.Length)
        {
            Array.Resize(ref entities, n);
        }
        return new RedactionResult(sb.ToString(), entities);
    }
}
