using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ComplianceRecorder.Verbs;

namespace ComplianceRecorder.Tests.Redaction;

/// <summary>
/// The redact verb over labelled sets, judged the way ../shared/eval/score_redaction.py judges:
/// our own spoken call set must leak nothing and keep everything; the public dev set must stay at
/// the quality bar (recall ≥ 0.99, keep ≥ 0.98), and the public names and addresses set at issue 18's
/// (recall ≥ 0.95, keep ≥ 0.97).
/// </summary>
public sealed partial class EvalSetTests
{
    private static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "Redaction", "Data", name);

    private static string? DevSet(string name = "presidio-synth.jsonl")
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "eval", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    [Fact]
    public async Task Spoken_call_set_leaks_nothing_and_keeps_every_harmless_phrase()
    {
        var (recall, keep, misses) = await ScoreAsync(DataFile("spoken-calls.jsonl"));
        Assert.True(recall == 1.0 && keep == 1.0, string.Join("\n", misses));
    }

    [Fact]
    public async Task Own_names_set_with_other_names_streets_and_phrasings_leaks_nothing_and_keeps_every_harmless_phrase()
    {
        // written before the redactor was run on it, with names, streets and phrasings the public dev set does not have
        var (recall, keep, misses) = await ScoreAsync(DataFile("spoken-names.jsonl"));
        Assert.True(recall == 1.0 && keep == 1.0, string.Join("\n", misses));
    }

    [Fact]
    public async Task Public_dev_set_stays_above_the_quality_bar()
    {
        var devSet = DevSet();
        Assert.True(devSet is not null, "../shared/eval/presidio-synth.jsonl is beside the checkout in CI and on developer machines");
        var (recall, keep, misses) = await ScoreAsync(devSet!);
        Assert.True(recall >= 0.99 && keep >= 0.98, $"recall {recall:F3} keep {keep:F3}\n" + string.Join("\n", misses.Take(20)));
    }

    [Fact]
    public async Task Names_addresses_and_birth_dates_dev_set_reaches_the_issues_bar()
    {
        var devSet = DevSet("names-addresses-dev.jsonl");
        Assert.True(devSet is not null, "../shared/eval/names-addresses-dev.jsonl is beside the checkout in CI and on developer machines");
        var (recall, keep, misses) = await ScoreAsync(devSet!);
        Assert.True(recall >= 0.95 && keep >= 0.97, $"recall {recall:F3} keep {keep:F3}\n" + string.Join("\n", misses.Take(20)));
    }

    [Fact]
    public async Task A_malformed_line_gets_an_error_naming_its_line_and_the_rest_still_runs()
    {
        var input = new StringReader("{\"conversationId\":\"a\",\"text\":\"hi\"}\n{not json\n{\"conversationId\":\"a\",\"text\":\"card 4111 1111 1111 1111\"}\n");
        var output = new StringWriter();
        await RedactVerb.RunAsync(input, output);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(3, lines.Length);
        Assert.Contains("line 2", JsonNode.Parse(lines[1])!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("card [CARD]", JsonNode.Parse(lines[2])!["redacted"]!.GetValue<string>());
    }

    private static async Task<(double Recall, double Keep, List<string> Misses)> ScoreAsync(string path)
    {
        var inputLines = await File.ReadAllLinesAsync(path);
        var output = new StringWriter();
        await RedactVerb.RunAsync(new StringReader(string.Join('\n', inputLines)), output);
        var outLines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(inputLines.Length, outLines.Length);

        int values = 0, leaks = 0, keeps = 0, kept = 0;
        var misses = new List<string>();
        for (var i = 0; i < inputLines.Length; i++)
        {
            var h = JsonNode.Parse(inputLines[i])!;
            var redacted = JsonNode.Parse(outLines[i])!["redacted"]!.GetValue<string>();
            foreach (var leak in h["leak"]!.AsArray())
            {
                values++;
                if (Leaked(leak!["kind"]!.GetValue<string>(), leak["value"]!.GetValue<string>(), redacted))
                {
                    leaks++;
                    misses.Add($"LEAK {leak["value"]} in: {redacted}");
                }
            }
            foreach (var k in h["keep"]!.AsArray())
            {
                keeps++;
                if (Norm(redacted).Contains(Norm(k!.GetValue<string>()), StringComparison.Ordinal))
                {
                    kept++;
                }
                else
                {
                    misses.Add($"LOST '{k}' in: {redacted}");
                }
            }
        }
        return (values == 0 ? 1 : 1 - ((double)leaks / values), keeps == 0 ? 1 : (double)kept / keeps, misses);
    }

    private static string Norm(string s) => Spaces().Replace(s, " ").Trim().ToLowerInvariant();

    private static bool Leaked(string kind, string value, string output)
    {
        switch (kind)
        {
            case "digits":
                var s = DigitStream(output);
                return value.Length >= 7 ? Enumerable.Range(0, value.Length - 4).Any(i => s.Contains(value.Substring(i, 5), StringComparison.Ordinal)) : s.Contains(value, StringComparison.Ordinal);
            case "email":
                var t = SpokenUnderscore().Replace(SpokenAt().Replace(SpokenDot().Replace(output.ToLowerInvariant(), "."), "@"), "_");
                var local = value.Split('@')[0];
                return t.Contains(value, StringComparison.Ordinal) || (local.Length >= 4 && Regex.IsMatch(t, @"(?<![a-z0-9._+-])" + Regex.Escape(local) + @"(?![a-z0-9_+-])"));
            case "alnum":
                var compact = Spaces().Replace(output, "").ToUpperInvariant();
                return Enumerable.Range(0, value.Length - 7).Any(i => compact.Contains(value.Substring(i, 8), StringComparison.Ordinal));
            case "text":
                return TextLeaked(value, output);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown leak kind");
        }
    }

    // The scorer's reading of a name, a street or a spoken date: its words in a row, any of its distinctive words
    // alone, or such a word spelled out letter by letter ("s m i t h", "b e double n e t t").
    private static bool TextLeaked(string value, string output)
    {
        var vt = Words(value);
        var ot = Words(output);
        if (vt.Length == 0)
        {
            return false;
        }
        if (HasSequence(ot, vt))
        {
            return true;
        }
        var counted = vt.Length == 1 ? vt : [.. vt.Where(w => w.Length >= 3 && w.All(char.IsLetter) && !ScorersCommonWords.Value.Contains(w))];
        if (counted.Any(ot.Contains))
        {
            return true;
        }
        var spelled = new List<string>();
        for (var i = 0; i < ot.Length; i++)
        {
            if (ot[i] is "double" or "triple" && i + 1 < ot.Length && ot[i + 1].Length == 1 && char.IsLetter(ot[i + 1][0]))
            {
                spelled.AddRange(Enumerable.Repeat(ot[i + 1], ot[i] == "double" ? 2 : 3));
                i++;
            }
            else
            {
                spelled.Add(ot[i]);
            }
        }
        return counted.Any(w => w.Length >= 2 && w.All(char.IsLetter) && HasSequence([.. spelled], [.. w.Select(c => c.ToString())]));
    }

    private static string[] Words(string s)
    {
        var folded = new string([.. s.ToLowerInvariant().Normalize(System.Text.NormalizationForm.FormD)
            .Where(c => System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark)]);
        return [.. WordChars().Matches(folded).Select(m => m.Value)];
    }

    private static bool HasSequence(string[] haystack, string[] needle) =>
        Enumerable.Range(0, Math.Max(0, haystack.Length - needle.Length + 1)).Any(i => haystack.AsSpan(i, needle.Length).SequenceEqual(needle));

    // the scorer's own list of words that identify no one, read from it so the two never drift apart
    private static readonly Lazy<HashSet<string>> ScorersCommonWords = new(() =>
    {
        var scorer = DevSet("score_redaction.py") ?? throw new FileNotFoundException("../shared/eval/score_redaction.py");
        var source = File.ReadAllText(scorer);
        var start = source.IndexOf("COMMON = set(\"\"\"", StringComparison.Ordinal);
        var end = source.IndexOf("\"\"\".split())", start, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "the scorer's COMMON word list was not found");
        return [.. source[(start + 16)..end].Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)];
    });

    private static readonly string[] Units = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
    private static readonly string[] Teens = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
    private static readonly string[] Tens = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    // the scorer's reading of spoken numbers, word for word
    private static string DigitStream(string text)
    {
        var toks = Tokens().Matches(text.ToLowerInvariant()).Select(m => m.Value).ToArray();
        var sb = new System.Text.StringBuilder();
        var mult = 1;
        for (var i = 0; i < toks.Length; i++)
        {
            var t = toks[i];
            if (char.IsAsciiDigit(t[0]))
            {
                sb.Insert(sb.Length, t, mult);
                mult = 1;
            }
            else if (t is "double" or "triple")
            {
                mult = t == "double" ? 2 : 3;
                continue;
            }
            else if (Array.IndexOf(Units, t) is var u && (u >= 0 || t == "oh"))
            {
                sb.Insert(sb.Length, t == "oh" ? "0" : u.ToString(System.Globalization.CultureInfo.InvariantCulture), mult);
                mult = 1;
            }
            else if (Array.IndexOf(Teens, t) is var te and >= 0)
            {
                sb.Append(10 + te);
            }
            else if (Array.IndexOf(Tens, t) is var tn and >= 0)
            {
                var tens = (tn + 2) * 10;
                if (i + 1 < toks.Length && Array.IndexOf(Units, toks[i + 1]) is var nu and >= 1)
                {
                    sb.Append(tens + nu);
                    i++;
                }
                else
                {
                    sb.Append(tens);
                }
            }
            else
            {
                mult = 1;
            }
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"[a-z]+|\d")]
    private static partial Regex Tokens();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"[^\W_]+")]
    private static partial Regex WordChars();

    [GeneratedRegex(@"\s+dot\s+")]
    private static partial Regex SpokenDot();

    [GeneratedRegex(@"\s+at\s+")]
    private static partial Regex SpokenAt();

    [GeneratedRegex(@"\s+underscore\s+")]
    private static partial Regex SpokenUnderscore();
}
