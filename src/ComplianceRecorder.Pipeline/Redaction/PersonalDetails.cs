namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// People's names, postal addresses and dates of birth in one conversation. Found by context, not by
/// lists of names: what introduces a name ("my name is", "this is … speaking", "thanks mister …", the
/// answer to "can i get your full name"), the shape of an address (a house number, a street's name, a
/// suffix from a closed list), a date said beside "born" or in answer to a question about it. What was
/// learned stays learned for the call: a name or street heard once is masked wherever it comes back,
/// said whole or spelled letter by letter, in partials and finals alike.
/// </summary>
internal sealed class PersonalDetails(bool keepAgentNames)
{
    private readonly bool _keepAgentNames = keepAgentNames;

    // learned from finals only: partials are redacted with the context the finals built, but never change it
    // not readonly: they are mutable structs, made on first use, as most calls learn nothing in most utterances
    private LearnedWords _names;
    private LearnedWords _streets;
    // the agents' own names, when those are kept: said back by the customer they are kept too
    private LearnedWords _kept;

    private const WordClass Cues = WordClass.NameCue | WordClass.Greeting | WordClass.Title | WordClass.Relation
        | WordClass.StreetSuffix | WordClass.Unit | WordClass.Place | WordClass.Zip | WordClass.Birth;

    public void Claim(string text, List<Token> toks, Cues cues, WordClass classes, List<NumberRun> runs, Speaker speaker, bool isFinal, Asked asked,
        Span<bool> claimed, List<RedactedEntity> spans)
    {
        var answering = speaker == Speaker.Customer ? asked : Asked.None;
        var scan = new Scan(text, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(toks), claimed, spans, this, speaker, isFinal);
        // a spelling needs two letters in a row, which the lexicon's scan has seen or not
        var spelledDob = (cues & Redaction.Cues.Letters) != 0 && scan.Spelled(answering);
        if ((classes & Cues) == 0 && answering == Asked.None && _names.Count == 0 && _streets.Count == 0 && !spelledDob)
        {
            return;
        }
        if ((classes & (WordClass.StreetSuffix | WordClass.Unit | WordClass.Place | WordClass.Zip)) != 0 || (answering & Asked.Address) != 0)
        {
            scan.Addresses(runs, (classes & WordClass.Place) != 0 || (answering & Asked.Address) != 0, (answering & Asked.Address) != 0);
            scan.LearnStreets();
        }
        var birth = (classes & WordClass.Birth) != 0 || spelledDob || (answering & Asked.BirthDate) != 0;
        if (birth || (answering & Asked.Verification) != 0)
        {
            scan.BirthDates(runs, birth, (answering & Asked.BirthDate) != 0);
        }
        if ((classes & (WordClass.NameCue | WordClass.Greeting | WordClass.Title | WordClass.Relation)) != 0 || (answering & Asked.Name) != 0)
        {
            scan.Names((answering & Asked.Name) != 0);
        }
        if (_names.Count > 0 || _streets.Count > 0)
        {
            scan.Remembered();
        }
    }

    /// <summary>
    /// Words learned in one call, compared without case. Most calls learn a few: they are kept in a small array, a set made
    /// only past that, and a 64-bit filter on each word's length and first letter answers most lookups without comparing.
    /// </summary>
    private struct LearnedWords
    {
        // a call learns a handful of names and streets; a bound keeps a hostile stream of them from making every partial's
        // prefix check slow. Past it nothing more is learned: words are still masked where their context shows them, not recalled
        private const int MaxWords = 256;
        private const int Few = 8;

        private string[]? _few;
        private HashSet<string>? _set;
        private ulong _filter;

        public int Count { readonly get; private set; }

        private static ulong Bit(ReadOnlySpan<char> word) => 1UL << (((word.Length * 31) + (char.ToLowerInvariant(word[0]) & 0x1f)) & 63);

        public void Add(ReadOnlySpan<char> word)
        {
            if (word.Length < 2 || Count >= MaxWords || Contains(word))
            {
                return;
            }
            _filter |= Bit(word);
            if (_set is null && Count < Few)
            {
                (_few ??= new string[Few])[Count++] = word.ToString();
                return;
            }
            _set ??= new HashSet<string>(_few!, StringComparer.OrdinalIgnoreCase);
            _set.Add(word.ToString());
            Count++;
        }

        public readonly bool Contains(ReadOnlySpan<char> word)
        {
            if (word.Length == 0 || (_filter & Bit(word)) == 0)
            {
                return false;
            }
            if (_set is { } set)
            {
                return set.GetAlternateLookup<ReadOnlySpan<char>>().Contains(word);
            }
            for (var k = 0; k < Count; k++)
            {
                if (_few![k].AsSpan().Equals(word, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
            return false;
        }

        public readonly bool AnyStartsWith(ReadOnlySpan<char> prefix)
        {
            if (_set is { } set)
            {
                foreach (var w in set)
                {
                    if (w.AsSpan().StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                    {
                        return true;
                    }
                }
                return false;
            }
            for (var k = 0; k < Count; k++)
            {
                if (_few![k].AsSpan().StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>One utterance's pass. A ref struct over the session's scratch: nothing is allocated unless something is found.</summary>
    private readonly ref struct Scan(string text, ReadOnlySpan<Token> toks, Span<bool> claimed, List<RedactedEntity> spans, PersonalDetails session, Speaker speaker, bool isFinal)
    {
        private readonly string _text = text;
        // a span over the scan's list: indexing it reads a token in place, where the list's indexer copies it out
        private readonly ReadOnlySpan<Token> _toks = toks;
        private readonly Span<bool> _claimed = claimed;
        private readonly List<RedactedEntity> _spans = spans;
        private readonly PersonalDetails _session = session;
        private readonly Speaker _speaker = speaker;
        private readonly bool _isFinal = isFinal;

        private ReadOnlySpan<char> Word(Token t) => _text.AsSpan(t.Start, t.End - t.Start);

        // the length first: most tokens differ from the word in length, and the comparison without case is a call
        private bool Is(int i, string word)
        {
            if ((uint)i >= (uint)_toks.Length)
            {
                return false;
            }
            ref readonly var t = ref _toks[i];
            return t.End - t.Start == word.Length && _text.AsSpan(t.Start, word.Length).Equals(word, StringComparison.OrdinalIgnoreCase);
        }

        // our own placeholders ("[NAME]") are never a name, and redaction stays idempotent
        private bool IsPlaceholder(Token t) => t.Start > 0 && _text[t.Start - 1] == '[';

        private bool IsLetters(Token t) => t.Kind == TokenKind.Word && char.IsLetter(_text[t.Start]) && !IsPlaceholder(t);

        private bool IsPunct(int i, char c) => i >= 0 && i < _toks.Length && _toks[i].Kind is TokenKind.Punct or TokenKind.Word && _toks[i].End - _toks[i].Start == 1 && _text[_toks[i].Start] == c;

        /// <summary>The next token that is not a space, or the count when there is none.</summary>
        private int Next(int i)
        {
            i++;
            while (i < _toks.Length && _toks[i].Kind == TokenKind.Space)
            {
                i++;
            }
            return i;
        }

        private int Previous(int i)
        {
            i--;
            while (i >= 0 && _toks[i].Kind == TokenKind.Space)
            {
                i--;
            }
            return i;
        }

        // a word that by itself names someone: not everyday English, not a number, not one of ours
        private bool NameLike(int i, bool inflectedOk = false) =>
            i < _toks.Length && IsLetters(_toks[i]) && (_toks[i].Class & WordClass.Common) == 0 && _toks[i].End - _toks[i].Start >= 2
            && (inflectedOk || !LooksInflected(Word(_toks[i]))) && !_session._kept.Contains(Word(_toks[i]));

        // "i'm contacting", "my father retired", "i'm originally from": the word list is short, word endings say the rest
        private static bool LooksInflected(ReadOnlySpan<char> w) =>
            w.Length >= 6 && (w[^1] | 0x20) switch
            {
                // on the last letter first: this runs for most words of an utterance that names someone
                'g' => w.EndsWith("ing", StringComparison.OrdinalIgnoreCase),
                'y' => w.EndsWith("ly", StringComparison.OrdinalIgnoreCase),
                'd' => w.EndsWith("ed", StringComparison.OrdinalIgnoreCase),
                'n' => w.EndsWith("tion", StringComparison.OrdinalIgnoreCase),
                't' => w.EndsWith("ment", StringComparison.OrdinalIgnoreCase),
                's' => w.EndsWith("ness", StringComparison.OrdinalIgnoreCase) || w.EndsWith("ous", StringComparison.OrdinalIgnoreCase),
                'l' => w.EndsWith("ful", StringComparison.OrdinalIgnoreCase),
                'e' => w.Length >= 7 && (w.EndsWith("able", StringComparison.OrdinalIgnoreCase) || w.EndsWith("ible", StringComparison.OrdinalIgnoreCase)
                    || w.EndsWith("ive", StringComparison.OrdinalIgnoreCase)),
                _ => false,
            };

        // "anatoly", "szekely", "xiuying" end like adverbs and verbs; such a word is still a name with a surname after it, or,
        // where a name is expected, with nothing after it ("her name is xiuying, …"); "i'm currently away" stays
        private bool InflectedName(int i, bool endsOk) =>
            NameLike(i, inflectedOk: true) && (NameLike(Next(i)) || (endsOk && (Next(i) >= _toks.Length || _toks[Next(i)].Kind == TokenKind.Punct)));

        // after "my name is" even an everyday word is a name ("grace"), but never a function word, a number or a cue
        private bool NameLikeAfterStrongCue(int i)
        {
            if (NameLike(i) || InflectedName(i, endsOk: true))
            {
                return true;
            }
            if (i < _toks.Length && IsLetters(_toks[i]) && (Is(i, "will") || Is(i, "may") || (_toks[i].Class & WordClass.Month) != 0) && NameLike(Next(i)))
            {
                // "my name is will smith", "june okafor": a first name that is also a word, with a surname after it
                return true;
            }
            if (i >= _toks.Length || !IsLetters(_toks[i]) || _toks[i].End - _toks[i].Start < 2
                || (_toks[i].Class & (WordClass.Function | WordClass.NameCue | WordClass.Greeting | WordClass.Place | WordClass.Birth | WordClass.Month | WordClass.Title)) != 0)
            {
                return false;
            }
            // an everyday word is a name only where a name ends: "my name is grace", "grace wisniewski", not "my name is really long"
            // or "i'm helping my daughter"
            var next = Next(i);
            return !LooksInflected(Word(_toks[i])) && (next >= _toks.Length || _toks[next].Kind == TokenKind.Punct || NameLike(next)
                || Is(next, "and") || Is(next, "speaking") || Is(next, "calling") || Is(next, "here"));
        }

        private bool Claim(EntityType type, int start, int end)
        {
            if (end <= start || _claimed[start..end].Contains(true))
            {
                return false;
            }
            _claimed[start..end].Fill(true);
            _spans.Add(new RedactedEntity(type, start, end));
            return true;
        }

        // ---- names ------------------------------------------------------------------------------------

        /// <summary>
        /// Claims a name from token <paramref name="first"/> to <paramref name="last"/> (ending at <paramref name="end"/>), all but
        /// what is claimed already: in "john patel, p a t e l" the spelling claimed "patel" first, and "john" must not be shown.
        /// </summary>
        private bool ClaimUnclaimed(int first, int last, int end)
        {
            if (Claim(EntityType.Name, _toks[first].Start, end))
            {
                return true;
            }
            var any = false;
            var from = -1;
            var to = -1;
            for (var k = first; k <= last; k++)
            {
                var t = _toks[k];
                if (t.Kind == TokenKind.Space)
                {
                    continue;
                }
                if (_claimed[t.Start])
                {
                    any |= from >= 0 && Claim(EntityType.Name, from, to);
                    from = -1;
                    continue;
                }
                from = from < 0 ? t.Start : from;
                to = Math.Min(t.End, end);
            }
            return (from >= 0 && Claim(EntityType.Name, from, to)) | any;
        }

        /// <summary>Takes the name starting at token <paramref name="i"/>: up to three words, joined by hyphens, initials or (in answers) commas.</summary>
        private int TakeName(int i, bool strong, bool commas = false, bool agentsOwn = false, bool single = false, bool inflectedOk = false, bool? learn = null,
            bool relative = false)
        {
            if (i >= _toks.Length || !(strong ? NameLikeAfterStrongCue(i) : NameLike(i, inflectedOk) || InflectedName(i, endsOk: false)))
            {
                return -1;
            }
            var first = i;
            var last = i;
            var words = 1;
            while (words < 4 && !single)
            {
                var n = Next(last);
                if (n < _toks.Length && (IsPunct(n, '-') || (commas && IsPunct(n, ','))) && NameLike(Next(n)))
                {
                    last = Next(n);
                }
                else if (n < _toks.Length && IsLetters(_toks[n]) && _toks[n].End - _toks[n].Start == 1 && IsPunct(Next(n), '.') && NameLike(Next(Next(n))))
                {
                    // a middle initial: "vanessa p. hertzog"
                    last = Next(Next(n));
                }
                else if ((NameLike(n) || InflectedName(n, endsOk: strong)) && words < 3)
                {
                    last = n;
                }
                else
                {
                    break;
                }
                words++;
            }
            var after = Next(last);
            if (!strong && VerbFollows(after) && (!relative || Word(_toks[last]).EndsWith('s')))
            {
                // after a weak cue, a word with an object after it is a verb: "i'm doing well", "my son uses it", "thanks appreciate it";
                // after a relative only a verb's -s form ("my husband pays the bill", not "my grandmother agnieszka the account …")
                return -1;
            }
            // a weak cue's name that ends where names end is said as one: "i'm calling for myself, luis anderson, about …"
            learn ??= strong || (after < _toks.Length && (_toks[after].Kind == TokenKind.Punct || Is(after, "calling") || Is(after, "speaking")
                || Is(after, "here") || Is(after, "again") || Is(after, "from")));
            var end = _toks[last].End;
            if (Word(_toks[last]).EndsWith("'s", StringComparison.OrdinalIgnoreCase))
            {
                // "i'm heather's daughter": the name, not its possessive
                end -= 2;
            }
            if (agentsOwn && _session._keepAgentNames)
            {
                for (var k = first; k <= last; k++)
                {
                    if (IsLetters(_toks[k]))
                    {
                        _session._kept.Add(Word(_toks[k]));
                    }
                }
                return last;
            }
            // remembered for the call only where the cue leaves no doubt: a weak cue's guess must not mask a word all call long
            if (ClaimUnclaimed(first, last, end) && _isFinal && learn.Value)
            {
                for (var k = first; k <= last; k++)
                {
                    if (IsLetters(_toks[k]) && (_toks[k].Class & WordClass.Common) == 0)
                    {
                        var w = Word(_toks[k]);
                        _session._names.Add(w.EndsWith("'s", StringComparison.OrdinalIgnoreCase) ? w[..^2] : w);
                    }
                }
            }
            return last;
        }

        private bool VerbFollows(int n) =>
            Is(n, "the") || Is(n, "a") || Is(n, "an") || Is(n, "it") || Is(n, "my") || Is(n, "your") || Is(n, "his") || Is(n, "her")
            || Is(n, "our") || Is(n, "their") || Is(n, "them") || Is(n, "him") || Is(n, "me") || Is(n, "us") || Is(n, "that")
            || Is(n, "well") || Is(n, "up") || Is(n, "out") || Is(n, "on") || Is(n, "off") || Is(n, "over") || Is(n, "to") || Is(n, "so")
            || Is(n, "too") || Is(n, "some") || Is(n, "all") || Is(n, "everything") || Is(n, "anything") || Is(n, "what") || Is(n, "if");

        private int SkipFillers(int i)
        {
            while (i < _toks.Length && (_toks[i].Kind == TokenKind.Filler || IsPunct(i, ',') || IsPunct(i, ':')))
            {
                i = Next(i);
            }
            return i;
        }

        public void Names(bool answering)
        {
            for (var i = 0; i < _toks.Length; i = Next(i))
            {
                var t = _toks[i];
                if (!IsLetters(t))
                {
                    continue;
                }
                var c = t.Class;
                if ((c & WordClass.NameCue) != 0)
                {
                    NameCue(i);
                }
                if ((c & WordClass.Greeting) != 0)
                {
                    // "thanks huong", "hi meiling", "thank you, carmen": a name said to someone
                    var n = Is(i, "thank") && Is(Next(i), "you") ? Next(Next(i)) : Next(i);
                    if (!Is(i, "thank") || Is(Next(i), "you"))
                    {
                        // said to someone, a word ending in "-ing" is a name ("hi meiling"), not a verb as after "i'm"
                        TakeName(SkipFillers(n), strong: false, inflectedOk: true);
                    }
                }
                if ((c & WordClass.Title) != 0)
                {
                    Title(i);
                }
                if ((c & WordClass.Relation) != 0)
                {
                    Relative(i);
                }
            }
            if (answering)
            {
                Answer();
            }
        }

        private void NameCue(int i)
        {
            var n = Next(i);
            if (Is(i, "name") || Is(i, "name's") || Is(i, "surname") || (Is(i, "names") && Is(Previous(i), "my")))
            {
                // "my name is carmen", "my name's michael", "my husband's name wei haddad"
                var agentsOwn = _speaker == Speaker.Agent && Is(Previous(i), "my");
                if ((Is(i, "name") || Is(i, "surname")) && (Is(n, "is") || Is(n, "was") || (IsPunct(n, ',') && Is(Previous(i), "my"))))
                {
                    TakeName(SkipFillers(Next(n)), strong: true, agentsOwn: agentsOwn);
                }
                else if (Is(i, "name") && NameOnIs(n) is var named and >= 0)
                {
                    // "the name on the card is lucinda marchetti"
                    TakeName(SkipFillers(named), strong: true);
                }
                else if (Is(i, "name"))
                {
                    // a relative's, or which of the names: "my husband's name wei haddad", "last name gupta"; not "my name appears"
                    var p = Previous(i);
                    if (p >= 0 && (Word(_toks[p]).EndsWith("'s", StringComparison.OrdinalIgnoreCase) || Is(p, "last") || Is(p, "first")
                        || Is(p, "middle") || Is(p, "maiden")))
                    {
                        TakeName(SkipFillers(n), strong: false, learn: true);
                    }
                }
                else
                {
                    TakeName(SkipFillers(n), strong: true, agentsOwn: agentsOwn);
                }
            }
            else if (Is(i, "this") && Is(n, "is"))
            {
                // "this is ashley at summit energy", "this is luis speaking"; not "this is great"
                var at = SkipFillers(Next(n));
                var agentsOwn = _speaker == Speaker.Agent;
                if (TakeName(at, strong: false, agentsOwn: agentsOwn, learn: Is(Next(at), "speaking")) < 0 && Is(Next(at), "speaking"))
                {
                    TakeName(at, strong: true, agentsOwn: agentsOwn);
                }
            }
            else if (Is(i, "speaking") && !Is(n, "with") && !Is(n, "to"))
            {
                // "acme bank dmitri speaking": the word before, unless it is "i" ("who am i speaking with")
                var p = Previous(i);
                // an everyday word only where the agent starts ("grace speaking"), never "a spanish speaking agent" or "keep speaking"
                var pp = Previous(p);
                var opens = pp < 0 || _toks[pp].Kind == TokenKind.Punct || (_toks[pp].Class & WordClass.Greeting) != 0 || !(IsPunct(pp, '-') || (_toks[pp].Class & WordClass.Common) != 0);
                if (p >= 0 && (NameLike(p) ? !(Is(pp, "a") || Is(pp, "an") || Is(pp, "keep") || Is(pp, "keeps") || Is(pp, "kept")) : opens && NameLikeAfterStrongCue(p) && !IsLanguageOrVerb(p))
                    && !Word(_toks[p]).EndsWith("ly", StringComparison.OrdinalIgnoreCase))
                {
                    // one word only: the words before it are usually the company's ("fabrikam wireless grace speaking")
                    TakeName(p, strong: true, agentsOwn: _speaker == Speaker.Agent, single: true);
                }
            }
            else if (Is(i, "speaking") && Is(n, "with") && (Is(Previous(i), "you're") || Is(Previous(i), "are")))
            {
                TakeName(Next(n), strong: false, agentsOwn: _speaker == Speaker.Agent, learn: true);
            }
            else if ((Is(i, "call") || Is(i, "calls")) && Is(n, "me"))
            {
                // "you can call me dee", "everyone calls me vanessa"
                TakeName(SkipFillers(Next(n)), strong: false, learn: true);
            }
            else if (Is(i, "i'm") || Is(i, "im") || Is(i, "myself") || (Is(i, "am") && Is(Previous(i), "i")))
            {
                TakeName(SkipFillers(n), strong: false);
            }
            else if (Is(i, "it's") || Is(i, "its"))
            {
                // "it's emily rossi calling about my account", "it's haruto nowak again"
                var last = n;
                var end = -1;
                while (NameLike(last) && last - n < 16)
                {
                    end = last;
                    last = Next(last);
                }
                // "hi it's ramona": greeted, and nothing after the name
                var greeted = Previous(i) is var g and >= 0 && (_toks[g].Class & WordClass.Greeting) != 0;
                if (end >= 0 && (Is(last, "calling") || Is(last, "speaking") || Is(last, "here") || Is(last, "again")
                    || (greeted && (last >= _toks.Length || IsPunct(last, ',') || IsPunct(last, '.')))))
                {
                    TakeName(n, strong: false, learn: true);
                }
            }
            else if (Is(i, "calling") && Is(n, "from") && NameLike(Previous(i)))
            {
                // "ines okafor calling from northwind": up to two words before
                var p = Previous(i);
                TakeName(NameLike(Previous(p)) && !Is(Previous(p), "it's") ? Previous(p) : p, strong: false, learn: true);
            }
            else if (Is(i, "named") || (Is(i, "called") && IsPerson(Previous(i))))
            {
                // "a guy named tobias", "someone called marisol"
                TakeName(SkipFillers(n), strong: false, learn: true);
            }
            else if (Is(i, "behalf") && Is(Previous(i), "on") && Is(n, "of"))
            {
                TakeName(SkipFillers(Next(n)), strong: false, learn: true);
            }
            else if (Is(i, "speak") && (Is(n, "with") || Is(n, "to")))
            {
                // "can i speak with oyelaran", not "speak to a manager"
                TakeName(Next(n), strong: false, learn: true);
            }
            else if (Is(i, "under") && (Is(Previous(i), "be") || Is(Previous(i), "is") || Is(Previous(i), "it's") || Is(Previous(i), "was")
                || ((Is(Previous(i), "it") || Is(Previous(i), "that") || Is(Previous(i), "them")) && Is(Previous(Previous(i)), "put"))
                || Is(Previous(i), "listed") || Is(Previous(i), "booked") || Is(Previous(i), "filed") || Is(Previous(i), "registered")
                || Is(Previous(i), "reserved")))
            {
                // "put it under anneliese", "it's booked under okafor"
                // "it should be under minjun khalil", "it's under the name of …"
                if (Is(n, "the") && Is(Next(n), "name"))
                {
                    n = Next(Next(n));
                    n = Is(n, "of") ? Next(n) : n;
                }
                // learned for the call: the words before "under" leave little doubt a name follows
                TakeName(SkipFillers(n), strong: false, learn: true);
            }
        }

        private bool IsPerson(int p) =>
            Is(p, "someone") || Is(p, "somebody") || Is(p, "guy") || Is(p, "lady") || Is(p, "man") || Is(p, "woman") || Is(p, "person")
            || Is(p, "agent") || Is(p, "rep") || Is(p, "girl") || Is(p, "boy") || Is(p, "gentleman") || Is(p, "one") || Is(p, "fellow");

        // "spanish speaking", "keep speaking": an everyday word before "speaking" that is a language or says how one speaks
        private bool IsLanguageOrVerb(int p)
        {
            var w = Word(_toks[p]);
            return w.EndsWith("ish", StringComparison.OrdinalIgnoreCase) || w.EndsWith("ese", StringComparison.OrdinalIgnoreCase)
                || w.EndsWith("ian", StringComparison.OrdinalIgnoreCase) || w.EndsWith("can", StringComparison.OrdinalIgnoreCase)
                || Is(p, "french") || Is(p, "dutch") || Is(p, "arabic") || Is(p, "greek") || Is(p, "german") || Is(p, "korean")
                || Is(p, "hindi") || Is(p, "mandarin") || Is(p, "cantonese") || Is(p, "tagalog") || Is(p, "thai")
                || Is(p, "keep") || Is(p, "keeps") || Is(p, "kept") || Is(p, "stop") || Is(p, "start") || Is(p, "continue") || Is(p, "public");
        }

        // after "name on the account is", "name on file is": where the name starts, or -1
        private int NameOnIs(int n)
        {
            if (!Is(n, "on"))
            {
                return -1;
            }
            for (var k = Next(n); k < _toks.Length && k <= n + 10; k = Next(k))
            {
                if (Is(k, "is") || Is(k, "was"))
                {
                    return Next(k);
                }
                if (!(Is(k, "the") || Is(k, "card") || Is(k, "account") || Is(k, "file") || Is(k, "your") || Is(k, "my") || Is(k, "policy") || Is(k, "lease")))
                {
                    return -1;
                }
            }
            return -1;
        }

        // "thanks doctor mansour", "thank you mister ramirez"; not "my kids watch mister rogers", "a dr pepper"
        private void Title(int i)
        {
            var p = Previous(i);
            if (p >= 0 && _toks[p].Kind != TokenKind.Punct && !IsAddressedBefore(p))
            {
                return;
            }
            var n = Next(i);
            if (IsPunct(n, '.'))
            {
                n = Next(n);
            }
            TakeName(n, strong: true);
        }

        private bool IsAddressedBefore(int p) =>
            (_toks[p].Class & WordClass.Greeting) != 0 || Is(p, "you") || Is(p, "okay") || Is(p, "ok") || Is(p, "sorry") || Is(p, "yes")
            || Is(p, "yeah") || Is(p, "sure") || Is(p, "great") || Is(p, "perfect") || Is(p, "right") || Is(p, "alright") || Is(p, "is")
            || Is(p, "i'm") || Is(p, "am") || Is(p, "with") || Is(p, "for") || Is(p, "to") || Is(p, "and") || Is(p, "named")
            || Is(p, "it's") || Is(p, "that's") || Is(p, "was") || Is(p, "so") || Is(p, "well") || Is(p, "um") || Is(p, "uh") || Is(p, "this");

        // "my grandmother guadalupe", "my husband's name wei haddad", "my father in law oluwaseun sharma"
        private void Relative(int i)
        {
            var p = Previous(i);
            if (!(Is(p, "my") || Is(p, "our") || Is(p, "his") || Is(p, "her") || Is(p, "your") || Is(p, "their")))
            {
                return;
            }
            var n = Next(i);
            if (Is(n, "in") && Is(Next(n), "law"))
            {
                n = Next(Next(n));
            }
            if (Is(n, "'s"))
            {
                n = Next(n);
            }
            if (Is(n, "name") || Is(n, "named") || Is(n, "called"))
            {
                n = Next(n);
                n = Is(n, "is") ? Next(n) : n;
            }
            TakeName(SkipFillers(n), strong: false, relative: true);
        }

        // the answer to "can i get your full name": "um arjun miller", "sure robert dela cruz", "Mensah, Fatima"
        private void Answer()
        {
            var i = 0;
            // "hey priyanka, it's …": greetings and what is claimed already come before the answer
            while (i < _toks.Length && (_toks[i].Kind is TokenKind.Space or TokenKind.Filler or TokenKind.Punct || IsLead(i)
                || (_toks[i].Class & WordClass.Greeting) != 0 || _claimed[_toks[i].Start]))
            {
                i++;
            }
            // a bare answer is a name only if it looks like one: "hang on", "huh", "yes that's correct" are not; an everyday first
            // word with a surname after it is ("grace wisniewski")
            if (NameLike(i) || InflectedName(i, endsOk: true) || (NameLikeAfterStrongCue(i) && NameLike(Next(i))))
            {
                TakeName(i, strong: true, commas: true);
            }
        }

        private bool IsLead(int i) =>
            Is(i, "yes") || Is(i, "yeah") || Is(i, "sure") || Is(i, "okay") || Is(i, "ok") || Is(i, "so") || Is(i, "it's") || Is(i, "its")
            || Is(i, "it") || Is(i, "is") || Is(i, "that's") || Is(i, "this") || Is(i, "my") || Is(i, "name") || Is(i, "name's")
            || Is(i, "names") || Is(i, "i'm") || Is(i, "im") || Is(i, "hi") || Is(i, "hello") || Is(i, "well") || Is(i, "oh")
            || Is(i, "full") || Is(i, "first") || Is(i, "last") || Is(i, "yep") || Is(i, "yup") || Is(i, "absolutely")
            || Is(i, "and") || Is(i, "um") || Is(i, "uh");

        // ---- spelled letters --------------------------------------------------------------------------

        /// <summary>
        /// Letters said one by one: a name spelled ("s m i t h", "h-e-r-n-a-n-d-e-z", "b e double n e t t") when the agent asked
        /// for a spelling or a name, when it spells the word just said or a name learned earlier in the call, or when it is too long
        /// for an acronym. "u p s", "a t m" and "d o b" stay. Returns whether "d o b" was spelled (a birth-date cue).
        /// </summary>
        public bool Spelled(Asked answering)
        {
            var dob = false;
            Span<char> letters = stackalloc char[40];
            // found once per utterance, and only once a spelling needs it: it is a scan of the whole text, and most utterances spell nothing
            var spellCue = int.MinValue;
            var lastAlnum = int.MinValue;
            for (var i = 0; i < _toks.Length; i++)
            {
                if (!IsLetter(i) || (i > 0 && _toks[i - 1].Kind != TokenKind.Space && _toks[i - 1].Kind != TokenKind.Punct))
                {
                    continue;
                }
                var first = i;
                var last = i;
                var count = 0;
                var phonetic = false;
                var k = i;
                while (k < _toks.Length && count < letters.Length - 3)
                {
                    if (IsLetter(k))
                    {
                        letters[count++] = char.ToLowerInvariant(_text[_toks[k].Start]);
                        last = k;
                        if (SaidAs(k) is var saidAs and >= 0)
                        {
                            // "s as in sam, z as in zebra": the word that says the letter is part of the spelling
                            last = saidAs;
                            k = saidAs;
                            phonetic = true;
                        }
                    }
                    else if (_toks[k].Kind == TokenKind.Multiplier && k + 2 < _toks.Length && IsLetter(Next(k)))
                    {
                        var l = Next(k);
                        for (var m = 0; m < _toks[k].Value; m++)
                        {
                            letters[count++] = char.ToLowerInvariant(_text[_toks[l].Start]);
                        }
                        last = l;
                        k = l;
                    }
                    else
                    {
                        break;
                    }
                    // letters are parted by spaces, hyphens, dots or commas: "f. i. s. c. h. e. r.", "s as in sam, z as in zebra"
                    var n = k + 1;
                    while (n < _toks.Length && (_toks[n].Kind == TokenKind.Space || IsPunct(n, '-') || IsPunct(n, '.') || IsPunct(n, ',')))
                    {
                        n++;
                    }
                    if (n == k + 1)
                    {
                        break;
                    }
                    k = n;
                }
                i = last;
                if (count < 2)
                {
                    continue;
                }
                var word = letters[..count];
                if (IsAcronym(word))
                {
                    dob |= word.SequenceEqual("dob");
                    continue;
                }
                var before = WordBefore(first);
                var spellsWordBefore = before >= 0 && Word(_toks[before]).Equals(word, StringComparison.OrdinalIgnoreCase);
                if ((answering & (Asked.Spelling | Asked.Name)) != 0 || _session._names.Contains(word) || spellsWordBefore || count >= 5 || phonetic
                    || (count >= 3 && (spellCue == int.MinValue ? spellCue = FirstSpellCue() : spellCue) is var cue && cue >= 0 && cue < first)
                    || (!_isFinal && (lastAlnum == int.MinValue ? lastAlnum = LastLetterOrDigit() : lastAlnum) < _toks[last].End && IsPrefixOfLearned(word)))
                {
                    if (spellsWordBefore && Claim(EntityType.Name, _toks[before].Start, _toks[before].End))
                    {
                        // "patel p a t e l": the word said before its spelling is the name
                    }
                    var end = _toks[last].End;
                    if (end < _text.Length && _text[end] == '.')
                    {
                        end++;
                    }
                    if (Claim(EntityType.Name, _toks[first].Start, end) && _isFinal)
                    {
                        _session._names.Add(word);
                    }
                }
            }
            return dob;
        }

        // "s as in sam", "b for boy": the word after a letter that starts with it and says which letter it is; not a function
        // word ("a for it")
        private int SaidAs(int letter)
        {
            var n = Next(letter);
            n = Is(n, "as") && Is(Next(n), "in") ? Next(Next(n)) : Is(n, "for") ? Next(n) : -1;
            return n >= 0 && n < _toks.Length && IsLetters(_toks[n]) && _toks[n].End - _toks[n].Start >= 3 && (_toks[n].Class & WordClass.Function) == 0
                && char.ToLowerInvariant(_text[_toks[n].Start]) == char.ToLowerInvariant(_text[_toks[letter].Start]) ? n : -1;
        }

        private bool IsLetter(int i) =>
            i < _toks.Length && _toks[i].End - _toks[i].Start == 1 && char.IsAsciiLetter(_text[_toks[i].Start]) && _toks[i].Kind is TokenKind.Word or TokenKind.Zero
            && !IsPlaceholder(_toks[i]);

        private static bool IsAcronym(ReadOnlySpan<char> letters)
        {
            foreach (var range in WordLists.Acronyms.AsSpan().SplitAny(" \n\r"))
            {
                if (WordLists.Acronyms.AsSpan()[range].SequenceEqual(letters))
                {
                    return true;
                }
            }
            return false;
        }

        // the word before a spelling, across "that's", "it's", "is", commas: "patel p a t e l", "arjun, that's a r j u n"
        private int WordBefore(int i)
        {
            var p = Previous(i);
            while (p >= 0 && (IsPunct(p, ',') || IsPunct(p, '-') || Is(p, "that's") || Is(p, "it's") || Is(p, "is") || Is(p, "spelled") || _toks[p].Kind == TokenKind.Filler))
            {
                p = Previous(p);
            }
            return p >= 0 && IsLetters(_toks[p]) ? p : -1;
        }

        private int FirstSpellCue()
        {
            for (var p = 0; p < _toks.Length; p++)
            {
                if (Is(p, "spell") || Is(p, "spelled") || Is(p, "spelling") || Is(p, "spells") || Is(p, "spelt"))
                {
                    return p;
                }
            }
            return -1;
        }

        // a spelling still being said is the last thing in a partial: nothing but spaces and punctuation after it
        private int LastLetterOrDigit()
        {
            var k = _text.Length - 1;
            while (k >= 0 && !char.IsLetterOrDigit(_text[k]))
            {
                k--;
            }
            return k;
        }

        private bool IsPrefixOfLearned(ReadOnlySpan<char> letters) => _session._names.AnyStartsWith(letters);

        // ---- addresses --------------------------------------------------------------------------------

        /// <summary>
        /// A house number, one to four words of a street's name and a suffix ("39 willow circle", "four fifteen saint charles
        /// terrace"), or a unit after them ("218 el camino real unit nineteen"), or, where an address is being given, the words
        /// after a house number ("i live at 2943 calle ocho"). Then its unit, and any zip code after it.
        /// </summary>
        public void Addresses(List<NumberRun> runs, bool given, bool answering)
        {
            var zipCue = -1;
            for (var i = 0; i < _toks.Length; i++)
            {
                if ((_toks[i].Class & WordClass.Zip) != 0)
                {
                    zipCue = _toks[i].End;
                    break;
                }
            }
            var after = int.MaxValue;
            foreach (var run in runs)
            {
                if (_claimed[run.Start])
                {
                    continue;
                }
                var at = TokenAt(run.Start);
                if (UnitBefore(at, needsId: false) is var unit and >= 0 && run.Digits.Length <= 12 && Street(run, given) is { } streetEnd)
                {
                    // "suite 300, 1200 market street", "apt 7 19 ocean avenue": the unit's number and the house number read as one
                    Claim(EntityType.Address, unit, streetEnd);
                    after = Math.Min(after, streetEnd);
                    continue;
                }
                // "two thousand six hundred ellsworth parkway" reads as 2000600: said with a magnitude, the digits are longer than the number
                if ((run.Digits.Length is > 0 and <= 6 || (run.Spoken && run.HasMagnitude && run.Digits.Length <= 9))
                    && (run.Spoken || !run.Shape.AsSpan().ContainsAny(",.:/")) && Street(run, given) is { } end)
                {
                    // "apartment 4b, 221 baker street": a unit said before the street is part of the address too
                    var from = UnitBefore(at, needsId: true);
                    Claim(EntityType.Address, from >= 0 && !_claimed[from..run.Start].Contains(true) ? from : run.Start, end);
                    after = Math.Min(after, end);
                    continue;
                }
                if (IsPostOfficeBox(run))
                {
                    Claim(EntityType.Address, run.Start, run.End);
                    continue;
                }
                if (run.Digits.Length is 5 or 9 && (run.Start >= after || (zipCue >= 0 && run.Start >= zipCue) || (answering && !run.HasMagnitude)))
                {
                    Claim(EntityType.Address, run.Start, run.End);
                }
            }
            // a zip written after the unit joins the unit's number in one run ("apartment 9, 05412"): the group itself is the zip
            for (var i = 0; i < _toks.Length && after != int.MaxValue; i++)
            {
                var t = _toks[i];
                if (t.Kind == TokenKind.Digits && t.Start >= after && t.End - t.Start == 5 && !_claimed[t.Start])
                {
                    Claim(EntityType.Address, t.Start, t.End);
                }
            }
        }

        /// <returns>
        /// Where a unit said before token <paramref name="street"/> starts ("apartment 4b, …", "unit twelve …", "apt. #7 …"), or -1;
        /// with <paramref name="needsId"/> false the unit's own number may be part of the street's (read as one number).
        /// </returns>
        private int UnitBefore(int street, bool needsId)
        {
            var p = Previous(street);
            var ids = 0;
            if (needsId)
            {
                p = IsPunct(p, ',') ? Previous(p) : p;
                while (p >= 0 && ids < 4 && (_toks[p].Kind is TokenKind.Digits or TokenKind.Unit or TokenKind.Teen or TokenKind.Tens or TokenKind.Zero
                    || (IsLetters(_toks[p]) && _toks[p].End - _toks[p].Start == 1)))
                {
                    ids++;
                    // "4b": the letter glued to its number
                    p = p > 0 && _toks[p - 1].Kind != TokenKind.Space ? p - 1 : Previous(p);
                }
                if (ids == 0)
                {
                    return -1;
                }
            }
            p = IsPunct(p, '#') ? Previous(p) : p;
            p = Is(p, "number") || Is(p, "no") ? Previous(p) : p;
            p = IsPunct(p, '.') ? Previous(p) : p;
            return p >= 0 && IsLetters(_toks[p]) && (_toks[p].Class & WordClass.Unit) != 0 ? _toks[p].Start : -1;
        }

        // streets whose kind comes before their name, as in French, Spanish, Italian or Portuguese; not "2 way radios"
        private bool IsStreetKindFirst(int n) =>
            Is(n, "rue") || Is(n, "calle") || Is(n, "avenida") || Is(n, "avenue") || Is(n, "via") || Is(n, "rua") || Is(n, "boulevard")
            || Is(n, "chemin") || Is(n, "camino") || Is(n, "strada") || Is(n, "plaza");

        // "po box 4412", "p o box 4412", "post office box 4412"
        private bool IsPostOfficeBox(NumberRun run)
        {
            var box = Previous(TokenAt(run.Start));
            var before = Previous(box);
            // "P.O. Box 1234": the dot after the o
            before = IsPunct(before, '.') ? Previous(before) : before;
            return Is(box, "box") && (Is(before, "po") || Is(before, "o") || Is(before, "office") || Is(before, "p.o"));
        }

        private int? Street(NumberRun run, bool given)
        {
            var i = TokenAt(run.End);
            var words = 0;
            var lastWord = -1;
            var suffix = -1;
            for (var n = Next(i - 1); n < _toks.Length && words < 5; n = Next(n))
            {
                var t = _toks[n];
                if (!IsStreetWord(n))
                {
                    break;
                }
                words++;
                lastWord = n;
                if (words == 1 && IsStreetKindFirst(n) && NameLike(Next(n)))
                {
                    // the street's kind first, as in "137 avenue teboulbi", "2943 calle ocho": its name follows, up to the next such word
                    suffix = Next(n);
                    while (words < 4 && NameLike(Next(suffix)) && (_toks[Next(suffix)].Class & WordClass.StreetSuffix) == 0)
                    {
                        suffix = Next(suffix);
                        words++;
                    }
                    break;
                }
                if ((t.Class & WordClass.StreetSuffix) != 0 && words >= 2)
                {
                    suffix = n;
                    break;
                }
            }
            if (suffix >= 0)
            {
                return Unit(suffix);
            }
            var unit = lastWord >= 0 ? Next(lastWord) : -1;
            if (lastWord >= 0 && words <= 4 && unit < _toks.Length && (_toks[unit].Class & WordClass.Unit) != 0)
            {
                return Unit(lastWord);
            }
            if (lastWord >= 0 && words <= 3 && given && AllUncommon(TokenAt(run.End), lastWord) && !CountOrDistance(Next(TokenAt(run.End) - 1)))
            {
                return _toks[lastWord].End;
            }
            return null;
        }

        // "i live 20 miles away", "i live with 2 roommates": a number of things or a distance, not a house number
        private bool CountOrDistance(int n)
        {
            var w = Word(_toks[n]);
            return (w.EndsWith('s') && !w.EndsWith("ss", StringComparison.OrdinalIgnoreCase)) || Is(n, "mile") || Is(n, "km") || Is(n, "block")
                || Is(n, "minute") || Is(n, "hour") || Is(n, "foot") || Is(n, "feet") || Is(n, "meter") || Is(n, "metre") || Is(n, "yard");
        }

        private bool AllUncommon(int from, int to)
        {
            for (var k = from; k <= to; k++)
            {
                if (_toks[k].Kind != TokenKind.Space && (_toks[k].Class & WordClass.Common) != 0)
                {
                    return false;
                }
            }
            return true;
        }

        /// <returns>The first token starting at or after <paramref name="offset"/>: tokens are in text order, so a binary search.</returns>
        private int TokenAt(int offset)
        {
            var (lo, hi) = (0, _toks.Length);
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (_toks[mid].Start >= offset)
                {
                    hi = mid;
                }
                else
                {
                    lo = mid + 1;
                }
            }
            return lo;
        }

        // a street's name: any word but a function word, a unit, a birth or harmless word ("3 dollars", "5 minutes")
        private bool IsStreetWord(int n)
        {
            var t = _toks[n];
            if (!IsLetters(t) || (t.Class & (WordClass.Function | WordClass.Unit | WordClass.Birth | WordClass.NameCue | WordClass.Place | WordClass.Zip | WordClass.Greeting)) != 0)
            {
                return (t.Class & WordClass.Ordinal) != 0 && IsLetters(t);
            }
            if (t.Phrases is { } phrases && (t.Class & WordClass.StreetSuffix) == 0)
            {
                foreach (var p in phrases)
                {
                    if (p.Topic != Topic.None)
                    {
                        return false;
                    }
                }
            }
            return true;
        }

        // "… lane apt 394", "… parkway apartment 23b", "… way, unit five": the unit is part of the address
        private int Unit(int last)
        {
            var end = _toks[last].End;
            var n = Next(last);
            if (IsPunct(n, ','))
            {
                n = Next(n);
            }
            if (n >= _toks.Length || (_toks[n].Class & WordClass.Unit) == 0)
            {
                return end;
            }
            var id = Next(n);
            if (IsPunct(id, '#'))
            {
                id = Next(id);
            }
            var idEnd = -1;
            while (id < _toks.Length && (_toks[id].Kind is TokenKind.Digits or TokenKind.Unit or TokenKind.Teen or TokenKind.Tens or TokenKind.Zero
                || (_toks[id].Kind == TokenKind.Word && _toks[id].End - _toks[id].Start == 1 && char.IsLetter(_text[_toks[id].Start]))))
            {
                idEnd = _toks[id].End;
                // "23b": the letter glued to the number
                id = id + 1 < _toks.Length && _toks[id + 1].Kind != TokenKind.Space && _toks[id + 1].Kind != TokenKind.Punct ? id + 1 : Next(id);
            }
            return idEnd > 0 ? idEnd : end;
        }

        // ---- dates of birth ---------------------------------------------------------------------------

        /// <summary>
        /// A date said beside "born", "birthday", "d o b" or in answer to a question about it ("march third nineteen eighty five",
        /// "the fifth of february sixty three", "oh three oh three eighty five", "07/17/1977"). In answer to a question that verifies
        /// the caller (<paramref name="birth"/> false) only a whole date with its year counts.
        /// </summary>
        public void BirthDates(List<NumberRun> runs, bool birth, bool askedForIt)
        {
            for (var i = 0; i < _toks.Length; i++)
            {
                var t = _toks[i];
                if ((t.Class & WordClass.Month) != 0 && IsLetters(t))
                {
                    // "march third", "december 28th 1992", "february twenty one sixty six"
                    var n = Next(i);
                    n = Is(n, "the") ? Next(n) : n;
                    if (Day(n) is { } dayEnd)
                    {
                        var (end, year) = Year(dayEnd);
                        if (birth || year)
                        {
                            Claim(EntityType.Dob, t.Start, end);
                        }
                    }
                }
                else if (IsLetters(t) && (t.Class & WordClass.Ordinal) != 0 || t.Kind is TokenKind.Digits or TokenKind.Tens)
                {
                    // "the second of june nineteen fifty", "the 5th of february"
                    // "the 12th march 1980" too, without "of"
                    if (Day(i) is { } d && Next(TokenAt(d) - 1) is var of && (Is(of, "of") ? Next(of) : of) is var month
                        && month < _toks.Length && (_toks[month].Class & WordClass.Month) != 0 && IsLetters(_toks[month]))
                    {
                        var (end, year) = Year(_toks[month].End);
                        if (birth || year)
                        {
                            Claim(EntityType.Dob, t.Start, end);
                        }
                    }
                }
            }
            foreach (var run in runs)
            {
                if (birth && run.Digits.Length == 2 && run.Spoken && !_claimed[run.Start] && Is(Previous(TokenAt(run.Start)), "in")
                    && Is(Previous(Previous(TokenAt(run.Start))), "born"))
                {
                    // "born in eighty nine": a year said in two digits
                    Claim(EntityType.Dob, run.Start, run.End);
                    continue;
                }
                if (_claimed[run.Start] || run.Digits.Length < 4 || (run.Digits.Length > 8 && !run.HasMagnitude) || run.Digits.Length > 10)
                {
                    continue;
                }
                // asked for, any number is the date; beside "birthday" only a number shaped like one ("my birthday's on the
                // account 48213977" keeps the account number)
                if (askedForIt || (birth && (run.HasMagnitude || LooksLikeBirthDateOrYear(run.Digits))) || LooksLikeDate(run.Digits))
                {
                    Claim(EntityType.Dob, run.Start, AndMore(run));
                }
            }
        }

        /// <returns>The offset where a day said at token <paramref name="i"/> ends: "third", "twenty first", "17th", "fourteen", "5".</returns>
        private int? Day(int i)
        {
            if (i >= _toks.Length)
            {
                return null;
            }
            var t = _toks[i];
            if ((t.Class & WordClass.Ordinal) != 0 && IsLetters(t))
            {
                return t.End;
            }
            if (t.Kind == TokenKind.Tens && t.Value is 20 or 30)
            {
                var n = Next(i);
                if (IsPunct(n, '-'))
                {
                    n = Next(n);
                }
                if (n < _toks.Length && (((_toks[n].Class & WordClass.Ordinal) != 0 && _toks[n].Value <= 9) || (_toks[n].Kind == TokenKind.Unit && _toks[n].Value > 0)))
                {
                    return _toks[n].End;
                }
                return t.End;
            }
            if (t.Kind is TokenKind.Unit or TokenKind.Teen && t.Value > 0)
            {
                return t.End;
            }
            if (t.Kind == TokenKind.Digits && t.End - t.Start <= 2)
            {
                // "17th", "1st", "5"
                var n = i + 1;
                return n < _toks.Length && _toks[n].Kind == TokenKind.Word && _toks[n].Start == t.End && _toks[n].End - _toks[n].Start == 2 ? _toks[n].End : t.End;
            }
            return null;
        }

        /// <returns>Where the date ends, with the year said right after the day if there is one.</returns>
        private (int End, bool HasYear) Year(int dayEnd)
        {
            var n = Next(TokenAt(dayEnd) - 1);
            if (IsPunct(n, ','))
            {
                n = Next(n);
            }
            if (n < _toks.Length && _toks[n].Kind is TokenKind.Digits or TokenKind.Unit or TokenKind.Teen or TokenKind.Tens or TokenKind.Zero)
            {
                var end = _toks[n].End;
                var last = n;
                var words = 0;
                while (last < _toks.Length && words < 4 && _toks[last].Kind is TokenKind.Digits or TokenKind.Unit or TokenKind.Teen or TokenKind.Tens or TokenKind.Zero or TokenKind.Magnitude)
                {
                    end = _toks[last].End;
                    words++;
                    last = Next(last);
                    if (Is(last, "and") && Next(last) < _toks.Length && _toks[Next(last)].Kind is TokenKind.Unit or TokenKind.Teen or TokenKind.Tens)
                    {
                        last = Next(last);
                    }
                }
                return (end, true);
            }
            return (dayEnd, false);
        }

        // "two thousand and three": the words after a magnitude's "and" are the same number
        private int AndMore(NumberRun run)
        {
            var end = run.End;
            if (!run.HasMagnitude)
            {
                return end;
            }
            var n = Next(TokenAt(end) - 1);
            if (Is(n, "and"))
            {
                var m = Next(n);
                while (m < _toks.Length && _toks[m].Kind is TokenKind.Unit or TokenKind.Teen or TokenKind.Tens or TokenKind.Zero)
                {
                    end = _toks[m].End;
                    m = Next(m);
                }
            }
            return end;
        }

        // "01 24 1987", "1121965", "101692": a month, a day and a year, the year one a person may be born in
        // not any six digits: an order or a case number is rarely a month, a day and a year in a row
        private static bool LooksLikeDate(string digits) => digits.Length switch
        {
            6 => MonthDay(Num(digits, 0, 2), Num(digits, 2, 2)) || MonthDay(Num(digits, 2, 2), Num(digits, 0, 2)),
            7 => BirthYear(Num(digits, 3, 4)) && (MonthDay(Num(digits, 0, 1), Num(digits, 1, 2)) || MonthDay(Num(digits, 0, 2), Num(digits, 2, 1))),
            8 => BirthYear(Num(digits, 4, 4)) && (MonthDay(Num(digits, 0, 2), Num(digits, 2, 2)) || MonthDay(Num(digits, 2, 2), Num(digits, 0, 2))),
            _ => false,
        };

        // beside a birth cue the shorter shapes count too: "1985", "0303", "3 3 85", "3 3 1985"
        private static bool LooksLikeBirthDateOrYear(string digits) => digits.Length switch
        {
            4 => BirthYear(Num(digits, 0, 4)) || MonthDay(Num(digits, 0, 2), Num(digits, 2, 2)) || MonthDay(Num(digits, 2, 2), Num(digits, 0, 2)),
            5 => MonthDay(Num(digits, 0, 1), Num(digits, 1, 2)) || MonthDay(Num(digits, 0, 2), Num(digits, 2, 1)) || MonthDay(Num(digits, 1, 2), Num(digits, 0, 1)),
            6 => LooksLikeDate(digits) || (BirthYear(Num(digits, 2, 4)) && MonthDay(Num(digits, 0, 1), Num(digits, 1, 1))),
            _ => LooksLikeDate(digits),
        };

        private static bool MonthDay(int month, int day) => month is >= 1 and <= 12 && day is >= 1 and <= 31;

        private static bool BirthYear(int year) => year is >= 1900 and <= 2030;

        private static int Num(string digits, int from, int length)
        {
            var n = 0;
            foreach (var c in digits.AsSpan(from, length))
            {
                n = (n * 10) + (c - '0');
            }
            return n;
        }

        // ---- memory -----------------------------------------------------------------------------------

        /// <summary>A name or a street learned earlier in the call, said again ("okay carmen", "yes, peachtree").</summary>
        public void Remembered()
        {
            foreach (var t in _toks)
            {
                if (!IsLetters(t) || (t.Class & WordClass.Common) != 0 || _claimed[t.Start])
                {
                    continue;
                }
                var w = Word(t);
                if (_session._names.Contains(w))
                {
                    Claim(EntityType.Name, t.Start, t.End);
                }
                else if (_session._streets.Contains(w))
                {
                    Claim(EntityType.Address, t.Start, t.End);
                }
            }
        }

        /// <summary>After the finals' addresses are claimed: the distinctive words of their streets are remembered.</summary>
        public void LearnStreets()
        {
            if (!_isFinal)
            {
                return;
            }
            foreach (var s in _spans)
            {
                if (s.Type != EntityType.Address)
                {
                    continue;
                }
                for (var k = TokenAt(s.Start); k < _toks.Length && _toks[k].Start < s.End; k++)
                {
                    var t = _toks[k];
                    if (t.End <= s.End && IsLetters(t) && (t.Class & WordClass.Common) == 0 && t.End - t.Start >= 3)
                    {
                        _session._streets.Add(Word(t));
                    }
                }
            }
        }
    }
}

