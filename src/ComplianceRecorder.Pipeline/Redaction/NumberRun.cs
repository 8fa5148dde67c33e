using Kind = ComplianceRecorder.Pipeline.Redaction.TokenKind;
using Tok = ComplianceRecorder.Pipeline.Redaction.Token;

namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// A stretch of text that says one number: written digit groups and spoken digit words
/// ("four one one one", "double five", "oh four twenty seven"), with the separators and fillers
/// between them. Masking replaces <see cref="Start"/>..<see cref="End"/>, so exactly the words that
/// carried the digits disappear and the rest of the sentence stays readable.
/// </summary>
internal readonly record struct NumberRun(int Start, int End, string Digits, string Shape, bool Spoken, bool HasMagnitude)
{
    /// <summary>How many number words were said ("four one one one" is 4, "twenty twenty" is 2).</summary>
    public int SpokenWords => Shape.AsSpan().Count('w');

    /// <summary>Written digit groups split by their separators, e.g. "555-123-4567" → [3,3,4].</summary>
    public int GroupCount
    {
        get
        {
            var groups = 0;
            var inGroup = false;
            foreach (var c in Shape)
            {
                if (c == 'd')
                {
                    if (!inGroup)
                    {
                        groups++;
                    }
                    inGroup = true;
                }
                else
                {
                    inGroup = false;
                }
            }
            return groups;
        }
    }
}

internal static class NumberRuns
{
    /// <summary>No runs: what an utterance without a digit or a number word holds. Never added to.</summary>
    public static readonly List<NumberRun> None = [];

    private static bool IsNumber(Kind k) => k is Kind.Digits or Kind.Unit or Kind.Teen or Kind.Tens or Kind.Zero;

    /// <summary>Finds every number said in <paramref name="text"/>, skipping spans already claimed.</summary>
    public static List<NumberRun> Find(string text, List<Tok> toks, ReadOnlySpan<bool> claimed)
    {
        List<NumberRun>? runs = null;
        var all = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(toks);
        var i = 0;
        while (i < all.Length)
        {
            // most tokens are words and spaces: told by their kind, read in place
            if (all[i].Kind is Kind.Word or Kind.Space or Kind.Punct or Kind.Filler || !StartsRun(toks, i, text, claimed))
            {
                i++;
                continue;
            }
            var last = i;
            var j = i + 1;
            while (j < toks.Count)
            {
                var k = j;
                var punct = 0;
                var fillers = 0;
                var newlines = 0;
                while (k < toks.Count && (toks[k].Kind is Kind.Space or Kind.Punct or Kind.Filler))
                {
                    if (toks[k].Kind == Kind.Punct)
                    {
                        punct++;
                    }
                    else if (toks[k].Kind == Kind.Filler)
                    {
                        fillers++;
                    }
                    else if (text.AsSpan(toks[k].Start, toks[k].End - toks[k].Start).Contains('\n'))
                    {
                        newlines++;
                    }
                    k++;
                }
                if (k >= toks.Count || punct > 2 || fillers > 2 || newlines > 0 || claimed[toks[k].Start])
                {
                    break;
                }
                var next = toks[k].Kind;
                if (IsNumber(next) || next == Kind.Magnitude || (next == Kind.Multiplier && k + 1 < toks.Count))
                {
                    // a written group glued to letters ("3rd", "70s") is a word, not part of a number
                    if (next == Kind.Digits && GluedToLetters(text, toks[k]))
                    {
                        break;
                    }
                    last = k;
                    j = k + 1;
                    continue;
                }
                break;
            }
            (runs ??= []).Add(Build(text, toks, i, last));
            i = last + 1;
        }
        return runs ?? None;
    }

    /// <summary>The part of <paramref name="run"/> said before offset <paramref name="end"/>: its number tokens that end by then.</summary>
    public static NumberRun Cut(string text, List<Tok> toks, NumberRun run, int end)
    {
        var first = -1;
        var last = -1;
        for (var k = 0; k < toks.Count && toks[k].Start < end; k++)
        {
            if (toks[k].Start < run.Start || toks[k].End > end || !(IsNumber(toks[k].Kind) || toks[k].Kind is Kind.Magnitude))
            {
                continue;
            }
            first = first < 0 ? k : first;
            last = k;
        }
        return first < 0 ? run : Build(text, toks, first, last);
    }

    private static bool StartsRun(List<Tok> toks, int i, string text, ReadOnlySpan<bool> claimed)
    {
        var t = toks[i];
        if (claimed[t.Start])
        {
            return false;
        }
        switch (t.Kind)
        {
            case Kind.Digits:
                return !GluedToLetters(text, t);
            case Kind.Unit or Kind.Teen or Kind.Tens:
                return true;
            case Kind.Zero or Kind.Multiplier:
                // "oh" and "o" are digits only beside other digits: "oh, okay" is not a number
                for (var k = i + 1; k < toks.Count && k <= i + 3; k++)
                {
                    if (toks[k].Kind is Kind.Space or Kind.Filler)
                    {
                        continue;
                    }
                    return IsNumber(toks[k].Kind) && (toks[k].Kind != Kind.Zero || t.Kind == Kind.Multiplier || NextIsNumber(toks, k));
                }
                return false;
            default:
                return false;
        }
    }

    private static bool NextIsNumber(List<Tok> toks, int i)
    {
        for (var k = i + 1; k < toks.Count && k <= i + 3; k++)
        {
            if (toks[k].Kind is Kind.Space or Kind.Filler)
            {
                continue;
            }
            return IsNumber(toks[k].Kind);
        }
        return false;
    }

    // "3rd", "70s", "5pm", "A123" are words; "3560x4587" (an extension) is still a number
    private static bool GluedToLetters(string text, Tok t)
    {
        // four or more digits stay a number whatever they touch ("isY4111"): a card glued to a word
        // by a transcription slip is still a card
        if (t.End - t.Start >= 4)
        {
            return false;
        }
        if (t.Start > 0 && char.IsLetter(text[t.Start - 1]))
        {
            return text[t.Start - 1] is not ('x' or 'X') || t.Start < 2 || !char.IsAsciiDigit(text[t.Start - 2]);
        }
        if (t.End >= text.Length || !char.IsLetter(text[t.End]))
        {
            return false;
        }
        return text[t.End] is not ('x' or 'X') || t.End + 1 >= text.Length || !char.IsAsciiDigit(text[t.End + 1]);
    }

    private static NumberRun Build(string text, List<Tok> toks, int first, int last)
    {
        // written into the stack: a word adds at most three digits a character ("triple 1234"), and one shape character a
        // character; a run too long for the stack (a hostile one) gets arrays
        var length = toks[last].End - toks[first].Start;
        var digits = new Chars(3 * length <= 512 ? stackalloc char[3 * length] : new char[3 * length]);
        var shape = new Chars(length <= 256 ? stackalloc char[length] : new char[length]);
        var spoken = false;
        var magnitude = false;
        var multiplier = 1;
        for (var k = first; k <= last; k++)
        {
            var t = toks[k];
            switch (t.Kind)
            {
                case Kind.Digits:
                    for (var m = 0; m < multiplier; m++)
                    {
                        digits.Append(text.AsSpan(t.Start, t.End - t.Start));
                    }
                    multiplier = 1;
                    shape.Append('d', t.End - t.Start);
                    break;
                case Kind.Unit or Kind.Zero:
                    digits.Append((char)('0' + t.Value), multiplier);
                    multiplier = 1;
                    shape.Append('w');
                    spoken = true;
                    break;
                case Kind.Teen:
                    digits.AppendTwo(t.Value);
                    shape.Append('w');
                    spoken = true;
                    break;
                case Kind.Tens:
                    // "twenty seven" is 27, "twenty" alone 20
                    var unit = NextUnit(toks, k, last);
                    if (unit >= 0)
                    {
                        digits.AppendTwo(t.Value + toks[unit].Value);
                        k = unit;
                    }
                    else
                    {
                        digits.AppendTwo(t.Value);
                    }
                    shape.Append('w');
                    spoken = true;
                    break;
                case Kind.Multiplier:
                    multiplier = t.Value;
                    shape.Append('m');
                    break;
                case Kind.Magnitude:
                    digits.Append('0', t.Value);
                    magnitude = true;
                    shape.Append('M');
                    break;
                case Kind.Filler:
                    shape.Append('f');
                    break;
                case Kind.Space:
                    shape.Append(' ');
                    break;
                default:
                    shape.Append(text.AsSpan(t.Start, t.End - t.Start));
                    break;
            }
        }
        return new NumberRun(toks[first].Start, toks[last].End, digits.ToString(), shape.ToString(), spoken, magnitude);
    }

    /// <summary>Characters appended into a caller's buffer.</summary>
    private ref struct Chars(Span<char> buffer)
    {
        private readonly Span<char> _buffer = buffer;
        private int _n;

        public void Append(char c) => _buffer[_n++] = c;

        public void Append(char c, int count)
        {
            _buffer.Slice(_n, count).Fill(c);
            _n += count;
        }

        public void Append(ReadOnlySpan<char> chars)
        {
            chars.CopyTo(_buffer[_n..]);
            _n += chars.Length;
        }

        // 10 to 99
        public void AppendTwo(int value)
        {
            _buffer[_n++] = (char)('0' + (value / 10));
            _buffer[_n++] = (char)('0' + (value % 10));
        }

        public override readonly string ToString() => _buffer[.._n].ToString();
    }

    private static int NextUnit(List<Tok> toks, int k, int last)
    {
        for (var m = k + 1; m <= last; m++)
        {
            if (toks[m].Kind is Kind.Space or Kind.Filler)
            {
                continue;
            }
            return toks[m].Kind == Kind.Unit && toks[m].Value > 0 ? m : -1;
        }
        return -1;
    }
}
