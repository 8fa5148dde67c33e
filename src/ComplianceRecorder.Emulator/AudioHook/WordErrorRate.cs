namespace ComplianceRecorder.Emulator.AudioHook;

/// <summary>How far recognised text is from what a scenario said: word-level edit distance over the words said.</summary>
public static class WordErrorRate
{
    /// <summary>Lowercased, split on spaces and punctuation (a caption's " | " between finals included).</summary>
    public static string[] Words(string text) =>
        [.. text.ToLowerInvariant().Split([' ', '|', ',', '.', '?', '!', '\''], StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>Substitutions, deletions and insertions that turn <paramref name="said"/> into <paramref name="heard"/>.</summary>
    public static int Errors(string[] said, string[] heard)
    {
        var d = new int[said.Length + 1, heard.Length + 1];
        for (var i = 0; i <= said.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= heard.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= said.Length; i++)
        {
            for (var j = 1; j <= heard.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (said[i - 1] == heard[j - 1] ? 0 : 1));
            }
        }
        return d[said.Length, heard.Length];
    }

    public static double Of(string said, string heard)
    {
        var s = Words(said);
        return Errors(s, Words(heard)) / (double)Math.Max(1, s.Length);
    }
}
