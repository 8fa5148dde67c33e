using System.Collections.Frozen;

namespace ComplianceRecorder.Pipeline.Redaction;

internal enum TokenKind : byte { Digits, Unit, Teen, Tens, Zero, Multiplier, Magnitude, Filler, Word, Space, Punct }

/// <summary>One word, digit group, space run or punctuation mark, with what the lexicon knows of it.</summary>
internal readonly record struct Token(TokenKind Kind, int Start, int End, int Value, TopicPhrase[]? Phrases, WordClass Class = WordClass.None);

/// <summary>Words whose mere presence makes a costlier pattern worth running.</summary>
[Flags]
internal enum Cues : byte
{
    None = 0,
    SpokenDot = 1,
    SpokenAt = 2,
    /// <summary>A letter said alone after another, or after "double": something may be spelled ("s m i t h", "b e double n").</summary>
    Letters = 4,
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

    private static readonly FrozenDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> Words = Build().GetAlternateLookup<ReadOnlySpan<char>>();

    private static FrozenDictionary<string, Entry> Build()
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
        // keys in lower case and compared ordinally: the scan lowers each word into a stack buffer,
        // which measured cheaper than case-insensitive hashing of every word
        return d.ToFrozenDictionary(kv => kv.Key.ToLowerInvariant(), kv => kv.Value, StringComparer.Ordinal);
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
        into.Clear();
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
                into.Add(new Token(TokenKind.Digits, start, i, 0, null));
            }
            else if (char.IsLetter(c))
            {
                // a plain loop: words are short, and a vectorized search costs more to start than it saves on them
                i++;
                while (i < text.Length && (char.IsLetter(text[i]) || text[i] == '\''))
                {
                    i++;
                }
                if (i - start == 1 && FollowsLetter(text, into))
                {
                    cues |= Cues.Letters;
                }
                var entry = Lookup(text.AsSpan(start, i - start));
                if (entry is { } found)
                {
                    cues |= found.Cues;
                    classes |= found.Class;
                    into.Add(new Token(found.Kind, start, i, found.Value, found.Phrases, found.Class));
                }
                else
                {
                    into.Add(new Token(TokenKind.Word, start, i, 0, null));
                }
            }
            else if (char.IsWhiteSpace(c))
            {
                i++;
                while (i < text.Length && char.IsWhiteSpace(text[i]))
                {
                    i++;
                }
                into.Add(new Token(TokenKind.Space, start, i, 0, null));
            }
            else
            {
                i++;
                // only these join the groups of one number; anything else ends it
                into.Add(new Token(c is '-' or '.' or ',' or '/' or '(' or ')' or '+' ? TokenKind.Punct : TokenKind.Word, start, i, 0, null));
            }
        }
        return into;
    }

    // the token before a one-letter word, across the spaces, hyphens, dots and commas that part spelled letters, is a letter
    // or "double", or ends a letter said as a word ("s as in sam, z", "b for boy, e")
    private static bool FollowsLetter(string text, List<Token> tokens)
    {
        var k = Before(text, tokens, tokens.Count);
        if (k >= 0 && tokens[k].Kind == TokenKind.Word && tokens[k].End - tokens[k].Start > 1)
        {
            var by = Before(text, tokens, k);
            k = by >= 0 && Is(text, tokens[by], "for") ? Before(text, tokens, by)
                : by >= 0 && Is(text, tokens[by], "in") && Before(text, tokens, by) is var a and >= 0 && Is(text, tokens[a], "as") ? Before(text, tokens, a)
                : -1;
        }
        return k >= 0 && (tokens[k].Kind == TokenKind.Multiplier || (tokens[k].End - tokens[k].Start == 1 && char.IsLetter(text[tokens[k].Start])));
    }

    private static int Before(string text, List<Token> tokens, int k)
    {
        k--;
        while (k >= 0 && (tokens[k].Kind == TokenKind.Space || (tokens[k].Kind == TokenKind.Punct && text[tokens[k].Start] is '-' or '.' or ',')))
        {
            k--;
        }
        return k;
    }

    private static bool Is(string text, Token t, string word) => text.AsSpan(t.Start, t.End - t.Start).Equals(word, StringComparison.OrdinalIgnoreCase);

    private static Entry? Lookup(ReadOnlySpan<char> word)
    {
        if (word.Length > 13)
        {
            return null;
        }
        Span<char> lower = stackalloc char[word.Length];
        word.ToLowerInvariant(lower);
        return Words.TryGetValue(lower, out var e) ? e : null;
    }
}
