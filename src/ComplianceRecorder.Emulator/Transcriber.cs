namespace ComplianceRecorder.Emulator;

/// <summary>A scripted call as a streaming transcription engine would send it.</summary>
public static class Transcriber
{
    private const int MsPerWord = 280;

    /// <summary>
    /// Utterances grow word by word as partials (every two words), then one final, the way a
    /// streaming recognizer revises its hypothesis. Deterministic for a given seed.
    /// </summary>
    public static IEnumerable<Emission> Emissions(ScriptedCall call, int seed)
    {
        // string hashes are randomized per process; this one is stable, so ids repeat under a seed
        var stable = 17;
        foreach (var c in call.ConversationId)
        {
            stable = unchecked((stable * 31) + c);
        }
        var random = new Random(seed ^ stable);
        var bytes = new byte[16];
        foreach (var u in call.Utterances)
        {
            random.NextBytes(bytes);
            var id = new Guid(bytes).ToString();
            var words = u.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (var n = 2; n < words.Length; n += 2)
            {
                yield return new Emission(u.AtMs + (n * MsPerWord), u.Channel, id, false, string.Join(' ', words[..n]), u.AtMs, n * MsPerWord);
            }
            var duration = words.Length * MsPerWord;
            yield return new Emission(u.AtMs + duration + 200, u.Channel, id, true, u.Text, u.AtMs, duration);
        }
    }
}
