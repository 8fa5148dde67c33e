using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
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
        ["zero"] = '0',
        ["oh"] = '0',
        ["o"] = '0',
        ["one"] = '1',
        ["two"] = '2',
        ["three"] = '3',
        ["four"] = '4',
        ["five"] = '5',
        ["six"] = '6',
        ["seven"] = '7',
        ["eight"] = '8',
        ["nine"] = '9',
    };

    /// <summary>Lowercase, spoken digits as digits ("double five" as "5 5"), everything else as it was.</summary>
    public static string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        var repeat = 1;
        foreach (Match m in Token().Matches(text.ToLowerInvariant()))
        {
            var t = m.Value;
            if (t is " ")
            {
                // "double" reaches over the blank to its digit
                sb.Append(t);
                continue;
            }
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
                // the script's numbers are synthetic, so the report may show what was found
                yield return $"a Luhn-valid {run.Length}-digit run (\"{m.Value}\")";
            }
        }
    }

    /// <summary>
    /// The string values of a JSON document, a line each: what a person could read as text. Numbers are
    /// left out, since an array of counts (a histogram) reads as a long spaced digit run.
    /// </summary>
    public static string Strings(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return json;
        }
        var sb = new StringBuilder();
        Collect(node, sb);
        return sb.ToString();
    }

    private static void Collect(JsonNode? node, StringBuilder sb)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, v) in o)
                {
                    Collect(v, sb);
                }
                break;
            case JsonArray a:
                foreach (var v in a)
                {
                    Collect(v, sb);
                }
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                sb.Append(v.GetValue<string>()).Append('\n');
                break;
            default:
                break;
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

    // a whole run of 13-19 digits, spaced by blanks, commas or dashes, not part of an id ("scope:1795861770000"),
    // a decimal fraction or a longer number; the scripted numbers themselves are found wherever they are
    [GeneratedRegex(@"(?<![\w.:/=#-]|\d[ ,-]{1,3})\d(?:[ ,-]{0,3}\d){12,18}(?![\w.-]|[ ,-]{0,3}\d)")]
    private static partial Regex Run();
}
