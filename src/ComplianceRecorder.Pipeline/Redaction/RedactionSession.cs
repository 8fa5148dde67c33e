using System.Runtime.InteropServices;

namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// Redacts the utterances of one conversation in call order. It is stateful the way a listener is:
/// the agent's question ("what's the security code?") makes the customer's next numbers sensitive,
/// and a number dictated over several turns stays sensitive until the topic changes.
/// Partials are redacted with the context the finals built and never set a topic; an agent's partial only says that
/// the agent's utterance has no final yet (what it asks is not known).
/// </summary>
public sealed class RedactionSession
{
    private readonly TopicState _topic = new();
    private readonly TwoBreathCards _cards = new();
    private readonly PersonalDetails _people;
    private readonly bool _keepCardLastFour;
    // made when a final first masks a social, phone or account number: most calls never do
    private OwnedLastFours? _lastFours;
    // the first four digits each side gave as a card's in this call: kept as its last four, or masked
    private string? _customerLastFour;
    private string? _agentLastFour;
    // What was asked is not known: part of the call went unheard (finals of the other side still to mask), or the agent
    // is saying something whose final has not come (a question in flight, or its final lost: the gap that says so comes
    // only with the agent's next final, after the answer).
    private int _unheardFinals;
    private int _agentOpenFinals;
    // a customer's number was masked while the agent's utterance had no final: the agent may read it back
    private bool _maskedWhileAgentOpen;
    private const int UnheardHorizon = 4;
    private const int AgentOpenHorizon = 2;

    /// <summary>
    /// The dialect does not tell the agent from the customer (the media dialect's BOTH): no final is known to be the
    /// agent's, so what was asked stays unknown for <see cref="UnheardHorizon"/> finals after a gap, not until one is.
    /// </summary>
    public bool SpeakersUnknown { get; set; }

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

    // scratch for the scan, reused on each thread: Redact never yields, so no two calls share it at once; one object, so
    // the thread's storage is looked up once an utterance
    [ThreadStatic]
    private static Scratch? t_scratch;

    private sealed class Scratch
    {
        public readonly List<Token> Tokens = new(64);
        public readonly List<RedactedEntity> Spans = new(4);
    }

    /// <summary>
    /// Part of the call went unheard (a gap): the question a number answers may be in it ("and the three digits on the
    /// back?" lost, "six three seven" heard). Until a final of the agent's is heard again (or four finals, for a dialect
    /// that does not tell the speakers apart), a number of two digits or more that nothing said beside it marks as
    /// harmless is masked as <c>[NUMBER]</c> rather than kept: a listener who missed the question does not repeat the
    /// answer. The same holds for the customer's next two finals while the agent's utterance has partials and no final,
    /// and then for the agent's partials (a read-back). Each final that has such a number masked keeps the state for the
    /// next, as long as numbers keep coming (a card in two breaths).
    /// </summary>
    public void Unheard() => _unheardFinals = UnheardHorizon;

    public RedactionResult Redact(string said, Speaker speaker, bool isFinal)
    {
        // read with other scripts' digits as ASCII ones; masked over what was said
        var text = UnicodeDigits.ToAscii(said);
        Span<bool> claimed = text.Length < 1024 ? stackalloc bool[text.Length + 1] : new bool[text.Length + 1];
        var scratch = t_scratch ??= new Scratch();
        var spans = scratch.Spans;
        spans.Clear();
        var tokens = Lexicon.Scan(text, scratch.Tokens, out var cues, out var classes);
        WrittenPatterns.Claim(text, cues, claimed, spans);

        // the scan's cues say whether a topic word or a number was said at all: most utterances of a call hold neither
        var mentions = (cues & Cues.TopicWords) == 0 ? Topics.Empty : TopicState.QualifyCards(text, tokens, Topics.Find(text, tokens));
        var usedTopic = false;
        var runs = (cues & Cues.Numbers) == 0 ? NumberRuns.None : NumberRuns.Find(text, tokens, claimed);
        // names, addresses and birth dates claim their numbers (house numbers, zips, dates) before numbers are classified
        _people.Claim(text, tokens, cues, classes, runs, speaker, isFinal, _topic.Asked, claimed, spans);
        NumberRun? lastKept = null;
        RedactionResult? corrected = null;
        var maskedUnknown = false;
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
            if (claimed[run.Start..run.End].IndexOf(true) is var into and > 0 && text.AsSpan(run.Start, into).Contains(','))
            {
                // "my card ending in 4539, 12 market street": what was said before the comma is a number of its own
                runs[i] = run = NumberRuns.Cut(text, tokens, run, run.Start + into);
            }
            var local = TopicState.Local(text, tokens, mentions, run, claimed, _topic.Current);
            var type = NumberClassifier.Classify(text, run, local, _topic.Current);
            if (type == EntityType.Card && run.Digits.Length == 4 && _lastFours?.Of(run.Digits) is { } owner)
            {
                // "the one ending in 6789" said of the social (or phone, or account) masked earlier in the call: its last four
                type = owner;
            }
            var lastFourKept = false;
            if (type == EntityType.Card && _keepCardLastFour
                && CardLastFour.IsReference(text, tokens, runs, i, mentions, _topic.Current, _topic.Current == Topic.Card && _topic.CardNamed)
                && KeepsLastFour(speaker, run.Digits, isFinal))
            {
                // "the card ending in 4242": what PCI DSS lets be shown; kept as a number that may still grow, below
                type = null;
                lastFourKept = true;
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
            if (type is null && !lastFourKept && run.Digits.Length >= 2 && AskedUnknown(speaker, isFinal)
                && local != Topic.Harmless && !NumberClassifier.IsMarkedHarmless(text, run))
            {
                // only what is said beside it makes it harmless here: a shape ("six hundred thirty seven") may be a code
                type = EntityType.Number;
                maskedUnknown = true;
            }
            if (type is not null && claimed[run.Start..run.End].Contains(true))
            {
                // a run reaching into what is masked already ("12 market street #12, 98102" read on into the zip) is part of
                // it: masked over the union (Apply merges the two), named as what it reaches into
                type = Overlapped(spans, run);
            }
            if (type is { } t)
            {
                if (isFinal)
                {
                    Remember(t, run.Digits, speaker);
                }
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
        var result = Apply(said, spans);
        if (isFinal)
        {
            if (speaker == Speaker.Agent && !SpeakersUnknown)
            {
                // the agent heard again: the next question, or the thread the call is on, is known again
                _unheardFinals = 0;
                _agentOpenFinals = 0;
                _maskedWhileAgentOpen = false;
            }
            else if (maskedUnknown)
            {
                // numbers still answering what was not heard: the next final may go on with them
                _maskedWhileAgentOpen |= _agentOpenFinals > 0;
                _unheardFinals = _unheardFinals > 0 ? UnheardHorizon : 0;
                _agentOpenFinals = _agentOpenFinals > 0 ? AgentOpenHorizon : 0;
            }
            else
            {
                // with the speakers told apart, only the agent's final ends an unheard stretch; without, it fades
                if (SpeakersUnknown && _unheardFinals > 0)
                {
                    _unheardFinals--;
                }
                _agentOpenFinals = Math.Max(0, _agentOpenFinals - 1);
            }
            _topic.Advance(text, speaker, mentions, usedTopic);
            _cards.Ended(speaker, result, unsettled ? lastKept : null, result.Text.Length - text.Length);
        }
        else if (speaker == Speaker.Agent)
        {
            _agentOpenFinals = AgentOpenHorizon;
        }
        return unsettled || corrected is not null ? result with { Unsettled = unsettled, CorrectsPrevious = corrected } : result;
    }

    /// <summary>Whether what a number answers is unknown here: after a gap, or on the customer's side of an agent's utterance with no final.</summary>
    private bool AskedUnknown(Speaker speaker, bool isFinal) =>
        _unheardFinals > 0 || (speaker == Speaker.Agent ? !isFinal && _maskedWhileAgentOpen : _agentOpenFinals > 0);

    /// <summary>
    /// One last four a speaker per call: a different one may be the next group of the whole number, dictated as "ending in
    /// 4539", "ending in 1488", … (whether or not the agent asks in between, and whether or not the first was kept), and is masked.
    /// </summary>
    private bool KeepsLastFour(Speaker speaker, string digits, bool isFinal)
    {
        ref var first = ref speaker == Speaker.Agent ? ref _agentLastFour : ref _customerLastFour;
        if (first is not null && first != digits)
        {
            return false;
        }
        if (isFinal)
        {
            first ??= digits;
        }
        return true;
    }

    // what a final masked that a later last four may refer to
    private void Remember(EntityType type, string digits, Speaker speaker)
    {
        if (OwnedLastFours.Owns(type))
        {
            (_lastFours ??= new OwnedLastFours()).Add(type, digits);
        }
        else if (type == EntityType.Card && digits.Length == 4 && _keepCardLastFour)
        {
            (speaker == Speaker.Agent ? ref _agentLastFour : ref _customerLastFour) ??= digits;
        }
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
        if (spans.Count > 1)
        {
            // the longer first where two start together, so that a span inside another is merged into it
            spans.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.End.CompareTo(a.End));
        }
        // two detections that overlap are masked as one, over their union, named by the one that starts first: merged in
        // place, then the text written once at its final length
        var all = CollectionsMarshal.AsSpan(spans);
        var n = 0;
        for (var i = 0; i < all.Length; i++)
        {
            var s = all[i];
            var end = s.End;
            while (i + 1 < all.Length && all[i + 1].Start < end)
            {
                end = Math.Max(end, all[++i].End);
            }
            all[n++] = s with { End = end };
        }
        var entities = new RedactedEntity[n];
        var shift = 0;
        for (var i = 0; i < n; i++)
        {
            var s = all[i];
            var placeholder = s.Type.Placeholder().Length;
            entities[i] = new RedactedEntity(s.Type, s.Start + shift, s.Start + shift + placeholder);
            shift += placeholder - (s.End - s.Start);
        }
        CollectionsMarshal.SetCount(spans, n);
        var redacted = string.Create(text.Length + shift, (text, spans), static (into, state) =>
        {
            var (text, spans) = state;
            var at = 0;
            foreach (var s in CollectionsMarshal.AsSpan(spans))
            {
                text.AsSpan(at, s.Start - at).CopyTo(into);
                into = into[(s.Start - at)..];
                var placeholder = s.Type.Placeholder();
                placeholder.CopyTo(into);
                into = into[placeholder.Length..];
                at = s.End;
            }
            text.AsSpan(at).CopyTo(into);
        });
        return new RedactionResult(redacted, entities);
    }
}
