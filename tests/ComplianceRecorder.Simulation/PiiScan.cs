using System.Text;
using System.Text.RegularExpressions;

namespace ComplianceRecorder.Simulation;

/// <summary>
/// Finds the script's personal data in any text the recorder let out, in the forms the oracle can check:
/// spoken digits are read as digits first ("four one one one" is 4111, "double five" 55), then the
/// scripted card and phone numbers are looked for among the digits, and any 13-19 digit run, however
/// spaced, that passes Luhn is a card all the same. Short values (a CVV) are only looked for in the
/// text of the utterance that said them, where they cannot be confused with a port or a count.
/// </summary>
public static partial class PiiScan
{
    private static readonly Dictionary<string, char> Digits = new(StringComparer.Ordinal)
    {
        ["zero"] = '0', ["oh"] = '0', ["o"] = '0', ["one"] = '1', ["two"] = '2', ["three"] = '3', ["four"] = '4',
        ["five"] = '5', ["six"] = '6', ["seven"] = '7', ["eight"] = '8', ["nine"] = '9',
    };

    /// <summary>Lowercase, spoken digits as digits ("double five" as "5 5"), everything else as it was.</summary>
    public static string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        var repeat = 1;
        foreach (Match m in Token().Matches(text.ToLowerInvariant()))
        {
            var t = m.Value;
            if (t is "double" or "triple")
            {
                repeat = t == "double" ? 2 : 3;
                continue;
            }
            if (Digits.TryGetValue(t, out var d))
            {
                for (var i = 0; i < repeat; i++)
                {
                    sb.Append(d).Append(' ');
                }
            }
            else
            {
                if (repeat > 1)
                {
                    sb.Append(repeat == 2 ? "double" : "triple");
                }
                sb.Append(t);
            }
            repeat = 1;
        }
        return sb.ToString();
    }

    /// <summary>Every digit of the text in order: a scripted number found in here was let out, however it was spaced.</summary>
    public static string DigitsOf(string normalized)
    {
        var sb = new StringBuilder();
        foreach (var c in normalized)
        {
            if (char.IsAsciiDigit(c))
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    /// <summary>What in <paramref name="text"/> is personal data of the script, or a Luhn-valid card number; empty when nothing is.</summary>
    public static IEnumerable<string> Findings(string text, IReadOnlyList<ScriptedPii> pii, ScriptedPii? saidHere = null)
    {
        var normalized = Normalize(text);
        var digits = DigitsOf(normalized);
        foreach (var p in pii)
        {
            var found = p.Kind switch
            {
                "card" or "phone" => digits.Contains(p.Value, StringComparison.Ordinal),
                "email" => normalized.Contains(p.Value, StringComparison.Ordinal)
                    || normalized.Contains(p.Value[..p.Value.IndexOf('@', StringComparison.Ordinal)].Replace(".", " dot ", StringComparison.Ordinal), StringComparison.Ordinal),
                _ => p == saidHere && digits.Contains(p.Value, StringComparison.Ordinal),
            };
            if (found)
            {
                yield return $"the scripted {p.Kind} of call {p.ConversationId} (utterance {p.Utterance})";
            }
        }
        foreach (Match m in Run().Matches(normalized))
        {
            var run = DigitsOf(m.Value);
            if (Luhn(run))
            {
                yield return $"a Luhn-valid {run.Length}-digit run";
            }
        }
    }

    public static bool Luhn(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }
            sum += d;
        }
        return sum % 10 == 0;
    }

    [GeneratedRegex(@"[a-z]+|[^a-z]")]
    private static partial Regex Token();

    // a whole run of 13-19 digits, spaced by blanks, commas or dashes, not part of an id, a decimal fraction or a longer number
    [GeneratedRegex(@"(?<![\w.-]|\d[ ,-]{1,3})\d(?:[ ,-]{0,3}\d){12,18}(?![\w.-]|[ ,-]{0,3}\d)")]
    private static partial Regex Run();
}
