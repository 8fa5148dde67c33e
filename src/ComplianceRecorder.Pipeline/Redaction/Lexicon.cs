using System.Runtime.InteropServices;

namespace ComplianceRecorder.Pipeline.Redaction;

internal enum TokenKind : byte { Digits, Unit, Teen, Tens, Zero, Multiplier, Magnitude, Filler, Word, Space, Punct }

/// <summary>
/// One word, digit group, space run or punctuation mark, with what the lexicon knows of it. No references: the scan's
/// list is reused per utterance, and tokens without them are copied without write barriers and cleared without zeroing.
/// </summary>
internal readonly record struct Token(TokenKind Kind, int Start, int End, int Value, ushort PhraseSet = 0, WordClass Class = WordClass.None)
{
    /// <summary>The topic phrases that start with this word, longest first, or null.</summary>
    public TopicPhrase[]? Phrases => PhraseSet == 0 ? null : Lexicon.PhraseSets[PhraseSet];
}

/// <summary>Words whose mere presence makes a costlier pattern worth running.</summary>
[Flags]
internal enum Cues : byte
{
    None = 0,
    SpokenDot = 1,
    SpokenAt = 2,
    /// <summary>A letter said alone after another, or after "double": something may be spelled ("s m i t h", "b e double n").</summary>
    Letters = 4,
    /// <summary>A digit group or a number word: numbers may be said.</summary>
    Numbers = 8,
    /// <summary>A word that starts a topic phrase ("card", "security code").</summary>
    TopicWords = 16,
    /// <summary>Digits written right after letters ("GB29", "isY4111"): an IBAN may be there.</summary>
    GluedDigits = 32,
}

/// <summary>A phrase that gives nearby numbers their meaning ("security code", "card number").</summary>
internal sealed record TopicPhrase(string[] Words, Topic Topic);

/// <summary>
/// Every word the redactor knows — number words, fillers, topic phrases — in one table, so an
/// utterance is scanned once and each word looked up once: the scan runs on every partial.
/// </summary>
internal static class Lexicon
{
    private readonly record struct Entry(TokenKind Kind, int Value, TopicPhrase[]? Phrases, Cues Cues = Cues.None, WordClass Class = WordClass.None);

    /// <summary>The topic phrase lists tokens refer to by index; index 0 is none.</summary>
    internal static readonly TopicPhrase[][] PhraseSets;

    private static readonly WordTable Words;

    static Lexicon()
    {
        var entries = Build();
        var sets = new List<TopicPhrase[]> { Array.Empty<TopicPhrase>() };
        var found = new List<(string, Found)>(entries.Count);
        foreach (var (word, e) in entries)
        {
            var set = (ushort)0;
            if (e.Phrases is not null)
            {
                set = (ushort)sets.Count;
                sets.Add(e.Phrases);
            }
            var cues = e.Cues | (e.Kind is TokenKind.Unit or TokenKind.Teen or TokenKind.Tens or TokenKind.Zero or TokenKind.Multiplier ? Cues.Numbers : Cues.None)
                | (set != 0 ? Cues.TopicWords : Cues.None);
            found.Add((word, new Found(e.Kind, e.Value, set, cues, e.Class)));
        }
        PhraseSets = [.. sets];
        Words = new WordTable(found);
    }

    /// <summary>What a word is, as the scan stores it.</summary>
    internal readonly record struct Found(TokenKind Kind, int Value, ushort PhraseSet, Cues Cues, WordClass Class);

    /// <summary>
    /// The lexicon's words in an open-addressed table keyed by a hash of the lower-cased word, which the scan computes as it
    /// reads the word's letters: one pass over each word, and one comparison of its letters where the hash matches.
    /// </summary>
    private sealed class WordTable
    {
        private readonly int _mask;
        private readonly int[] _hashes;
        private readonly string[] _keys;
        private readonly Found[] _values;

        public WordTable(List<(string Word, Found Value)> words)
        {
            var size = 1;
            while (size < words.Count * 4)
            {
                size <<= 1;
            }
            _mask = size - 1;
            _hashes = new int[size];
            _keys = new string[size];
            _values = new Found[size];
            foreach (var (word, value) in words)
            {
                var h = Hash(word);
                var at = h & _mask;
                while (_keys[at] is not null)
                {
                    at = (at + 1) & _mask;
                }
                (_hashes[at], _keys[at], _values[at]) = (h, word, value);
            }
        }

        /// <summary>
        /// A word's hash from its length and three of its letters, lowered: taken once a word is read, where a hash of every
        /// letter cost a multiplication a character; words that share it are told apart by the comparison.
        /// </summary>
        public static int Hash(ReadOnlySpan<char> word) =>
            (word.Length * 0x3C6EF35F) ^ (Lower(word[0]) * 0x01000193) ^ (Lower(word[word.Length >> 1]) * 0x7E3779B1) ^ (Lower(word[^1]) * 0x2F);

        // ASCII letters by a bit, anything else as is (the lexicon holds ASCII words only, so those never match)
        private static int Lower(char c) => c | 0x20;

        /// <param name="word">The word as written: letters and apostrophes.</param>
        public bool TryGet(ReadOnlySpan<char> word, out Found found)
        {
            var hash = Hash(word);
            for (var at = hash & _mask; _keys[at] is { } key; at = (at + 1) & _mask)
            {
                if (_hashes[at] == hash && key.Length == word.Length && SameLowered(word, key))
                {
                    found = _values[at];
                    return true;
                }
            }
            found = default;
            return false;
        }

        // the keys are lower-case ASCII letters and apostrophes; a word's letter lowered by a bit matches only its own, and no
        // other character of a word (an apostrophe, a letter past ASCII) is changed into a key's letter by it
        private static bool SameLowered(ReadOnlySpan<char> word, string key)
        {
            for (var i = 0; i < key.Length; i++)
            {
                if ((word[i] | 0x20) != key[i])
                {
                    return false;
                }
            }
            return true;
        }
    }

    private static Dictionary<string, Entry> Build()
    {
        var d = new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase);
        void Number(string w, TokenKind k, int v) => d[w] = new Entry(k, v, null);
        string[] units = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
        for (var i = 0; i < units.Length; i++)
        {
            Number(units[i], TokenKind.Unit, i);
        }
        Number("oh", TokenKind.Zero, 0);
        Number("o", TokenKind.Zero, 0);
        string[] teens = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
        for (var i = 0; i < teens.Length; i++)
        {
            Number(teens[i], TokenKind.Teen, 10 + i);
        }
        string[] tens = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
        for (var i = 0; i < tens.Length; i++)
        {
            Number(tens[i], TokenKind.Tens, (i + 2) * 10);
        }
        Number("double", TokenKind.Multiplier, 2);
        Number("triple", TokenKind.Multiplier, 3);
        Number("hundred", TokenKind.Magnitude, 2);
        Number("thousand", TokenKind.Magnitude, 3);
        // fillers and spoken separators may stand between the digits of one number
        foreach (var f in new[] { "uh", "um", "uhm", "umm", "er", "erm", "ah", "hmm", "mm", "dash", "hyphen", "slash" })
        {
            Number(f, TokenKind.Filler, 0);
        }
        d["dot"] = new Entry(TokenKind.Word, 0, null, Cues.SpokenDot);
        d["underscore"] = new Entry(TokenKind.Word, 0, null, Cues.SpokenDot);
        d["at"] = new Entry(TokenKind.Word, 0, null, Cues.SpokenAt);
        // topic phrases hang off their first word, longest first, so "card number" wins over "card"
        foreach (var group in Topics.Table
            .SelectMany(t => t.Phrases.Select(p => new TopicPhrase(p.Split(' '), t.Topic)))
            .GroupBy(p => p.Words[0], StringComparer.OrdinalIgnoreCase))
        {
            var phrases = group.OrderByDescending(p => p.Words.Length).ToArray();
            d[group.Key] = d.TryGetValue(group.Key, out var e) ? e with { Phrases = phrases } : new Entry(TokenKind.Word, 0, phrases);
        }
        MarkAll(d);
        // keys in lower case: the scan hashes each word's letters lowered as it reads them
        return d.ToDictionary(kv => kv.Key.ToLowerInvariant(), kv => kv.Value, StringComparer.Ordinal);
    }

    // words that bear on names, addresses and birth dates, in the same table so the scan still looks each word up once
    private static void MarkAll(Dictionary<string, Entry> d)
    {
        void Mark(string list, WordClass c, bool numbered = false)
        {
            var value = 0;
            foreach (var w in list.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
            {
                value++;
                d[w] = d.TryGetValue(w, out var e)
                    ? e with { Class = e.Class | c, Value = numbered && e.Kind == TokenKind.Word ? value : e.Value }
                    : new Entry(TokenKind.Word, numbered ? value : 0, null, Cues.None, c);
            }
        }
        Mark(WordLists.Function, WordClass.Function | WordClass.Common);
        Mark(WordLists.Common, WordClass.Common);
        Mark(WordLists.StreetSuffixes, WordClass.StreetSuffix);
        Mark(WordLists.Units, WordClass.Unit | WordClass.Common);
        Mark(WordLists.Months, WordClass.Month | WordClass.Common, numbered: true);
        Mark(WordLists.Ordinals, WordClass.Ordinal | WordClass.Common, numbered: true);
        Mark(WordLists.Titles, WordClass.Title | WordClass.Common);
        Mark(WordLists.Relations, WordClass.Relation | WordClass.Common);
        Mark(string.Join(' ', WordLists.Relations.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(r => r + "'s")), WordClass.Relation | WordClass.Common);
        Mark(WordLists.Greetings, WordClass.Greeting | WordClass.Common);
        Mark(WordLists.Birth, WordClass.Birth | WordClass.Common);
        Mark(WordLists.Places, WordClass.Place | WordClass.Common);
        Mark(WordLists.Zips, WordClass.Zip | WordClass.Common);
        Mark(WordLists.NameCues, WordClass.NameCue | WordClass.Common);
    }

    /// <summary>Scans <paramref name="text"/> into <paramref name="into"/>, which is cleared first and may be reused.</summary>
    public static List<Token> Scan(string text, List<Token> into, out Cues cues) => Scan(text, into, out cues, out _);

    /// <summary>Scans as above; <paramref name="classes"/> is every word class seen, so costlier passes can be skipped.</summary>
    public static List<Token> Scan(string text, List<Token> into, out Cues cues, out WordClass classes)
    {
        // written in place into the list's own array, sized for the most tokens the text can hold (one a character), then
        // cut to what was found: tokens hold no references, so neither growing nor cutting clears anything
        into.Clear();
        into.EnsureCapacity(text.Length);
        CollectionsMarshal.SetCount(into, text.Length);
        var toks = CollectionsMarshal.AsSpan(into);
        var n = 0;
        cues = Cues.None;
        classes = WordClass.None;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            var start = i;
            if (char.IsAsciiDigit(c))
            {
                i++;
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    i++;
                }
                cues |= n > 0 && toks[n - 1].End == start && toks[n - 1].Kind != TokenKind.Space && char.IsLetter(text[start - 1])
                    ? Cues.Numbers | Cues.GluedDigits : Cues.Numbers;
                toks[n++] = new Token(TokenKind.Digits, start, i, 0);
            }
            else if (IsLetter(c))
            {
                // a plain loop: words are short, and a vectorized search costs more to start than it saves on them
                i++;
                while (i < text.Length && (IsLetter(text[i]) || text[i] == '\''))
                {
                    i++;
                }
                if (i - start == 1 && FollowsLetter(text, toks[..n]))
                {
                    cues |= Cues.Letters;
                }
                if (i - start <= 13 && Words.TryGet(text.AsSpan(start, i - start), out var found))
                {
                    cues |= found.Cues;
                    classes |= found.Class;
                    toks[n++] = new Token(found.Kind, start, i, found.Value, found.PhraseSet, found.Class);
                }
                else
                {
                    toks[n++] = new Token(TokenKind.Word, start, i, 0);
                }
            }
            else if (c == ' ' && (i + 1 == text.Length || text[i + 1] != ' ' && !char.IsWhiteSpace(text[i + 1])))
            {
                // one space between words, the most common token of all
                i++;
                toks[n++] = new Token(TokenKind.Space, start, i, 0);
            }
            else if (char.IsWhiteSpace(c))
            {
                i++;
                while (i < text.Length && (text[i] == ' ' || char.IsWhiteSpace(text[i])))
                {
                    i++;
                }
                toks[n++] = new Token(TokenKind.Space, start, i, 0);
            }
            else
            {
                i++;
                // only these join the groups of one number; anything else ends it
                toks[n++] = new Token(c is '-' or '.' or ',' or '/' or '(' or ')' or '+' ? TokenKind.Punct : TokenKind.Word, start, i, 0);
            }
        }
        CollectionsMarshal.SetCount(into, n);
        return into;
    }

    // ASCII first: the letters of nearly every word
    private static bool IsLetter(char c) => char.IsAscii(c) ? char.IsAsciiLetter(c) : char.IsLetter(c);

    // the token before a one-letter word, across the spaces, hyphens, dots and commas that part spelled letters, is a letter
    // or "double", or ends a letter said as a word ("s as in sam, z", "b for boy, e")
    private static bool FollowsLetter(string text, ReadOnlySpan<Token> tokens)
    {
        var k = Before(text, tokens, tokens.Length);
        if (k >= 0 && tokens[k].Kind == TokenKind.Word && tokens[k].End - tokens[k].Start > 1)
        {
            var by = Before(text, tokens, k);
            k = by >= 0 && Is(text, tokens[by], "for") ? Before(text, tokens, by)
                : by >= 0 && Is(text, tokens[by], "in") && Before(text, tokens, by) is var a and >= 0 && Is(text, tokens[a], "as") ? Before(text, tokens, a)
                : -1;
        }
        return k >= 0 && (tokens[k].Kind == TokenKind.Multiplier || (tokens[k].End - tokens[k].Start == 1 && char.IsLetter(text[tokens[k].Start])));
    }

    private static int Before(string text, ReadOnlySpan<Token> tokens, int k)
    {
        k--;
        while (k >= 0 && (tokens[k].Kind == TokenKind.Space || (tokens[k].Kind == TokenKind.Punct && text[tokens[k].Start] is '-' or '.' or ',')))
        {
            k--;
        }
        return k;
    }

    private static bool Is(string text, in Token t, string word) => text.AsSpan(t.Start, t.End - t.Start).Equals(word, StringComparison.OrdinalIgnoreCase);
}
