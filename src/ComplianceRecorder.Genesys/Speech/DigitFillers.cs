namespace ComplianceRecorder.Genesys.Speech;

/// <summary>
/// PocketSphinx's language model hears digits read one by one as "one one and one one one": an "and" it
/// inserts between them splits the number into short runs that no redaction rule takes for a card. Nobody
/// reads a card with "and" between single digits, so the embedded recognizer drops such an "and" before
/// its text goes anywhere ("one hundred and five" keeps its "and": "hundred" is no single digit).
/// </summary>
public static class DigitFillers
{
    private static readonly HashSet<string> Digits = new(StringComparer.OrdinalIgnoreCase)
    {
        "zero", "oh", "o", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    };

    public static string Drop(string text)
    {
        if (!text.Contains(" and ", StringComparison.OrdinalIgnoreCase))
        {
            return text;
        }
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var kept = new List<string>(words.Length);
        for (var i = 0; i < words.Length; i++)
        {
            if (words[i].Equals("and", StringComparison.OrdinalIgnoreCase) && i > 0 && i < words.Length - 1 && Digits.Contains(words[i - 1]) && Digits.Contains(words[i + 1]))
            {
                continue;
            }
            kept.Add(words[i]);
        }
        return string.Join(' ', kept);
    }
}
