using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Pipeline.Tracking;

/// <summary>
/// What one call's live stream delivered, kept so backfill adds only what was not heard: the finals
/// per channel (their time spans and text), how many gaps were recorded, and which communication was
/// transcribed.
/// </summary>
public sealed class HeardLive
{
    /// <summary>
    /// How far apart live and stored times of one utterance may be. The stored transcript is timed by
    /// another clock than the live stream: a second or two of drift is normal, so times alone cannot
    /// tell two utterances apart, and the words decide.
    /// </summary>
    private const long DriftMs = 3000;

    /// <summary>Share of words two texts must have in common (Dice) to be the same utterance.</summary>
    private const double SameWords = 0.5;

    /// <summary>A live final as heard: its span and its raw text (a reference, not a copy; words are split only if backfill runs).</summary>
    /// <remarks><c>Redacted</c>: read back from the store, so its words are compared with the stored phrase's redacted words.</remarks>
    private readonly record struct LiveFinal(long Start, long End, string Text, string UtteranceId, bool Redacted = false);

    private readonly Dictionary<string, List<LiveFinal>> _finals = [];

    public int Gaps { get; private set; }

    public string? CommunicationId { get; private set; }

    public void Note(object item)
    {
        switch (item)
        {
            case TrackedTranscript { Transcript: { IsFinal: true } t }:
                if (!_finals.TryGetValue(t.Channel, out var finals))
                {
                    _finals[t.Channel] = finals = [];
                }
                finals.Add(new LiveFinal(t.OffsetMs, t.OffsetMs + t.DurationMs, t.Text, t.UtteranceId));
                CommunicationId = t.CommunicationId ?? CommunicationId;
                break;
            case TrackedTranscript { Transcript: var partial }:
                CommunicationId = partial.CommunicationId ?? CommunicationId;
                break;
            case CoverageGapRecorded:
                Gaps++;
                break;
        }
    }

    /// <summary>Finals the store holds that this process did not hear itself; they count as heard like its own.</summary>
    public void NoteRecorded(IEnumerable<TranscriptReceived> finals)
    {
        foreach (var t in finals)
        {
            if (!_finals.TryGetValue(t.Channel, out var list))
            {
                _finals[t.Channel] = list = [];
            }
            // what this process heard is in the store too: counted once, or one live final could stand for two said alike
            if (!list.Exists(f => f.UtteranceId == t.UtteranceId))
            {
                list.Add(new LiveFinal(t.OffsetMs, t.OffsetMs + t.DurationMs, t.Text, t.UtteranceId, Redacted: true));
            }
        }
    }

    /// <summary>
    /// The stored utterances no live final accounts for. A stored phrase and a live final are the same
    /// utterance when their time spans overlap (allowing for drift) and their words mostly agree; pairs
    /// are taken best match first, and each live final accounts for at most one stored phrase, so two
    /// short utterances close together are not both taken as heard.
    /// </summary>
    /// <param name="redacted">The stored phrases' texts as the call's redaction would record them, to compare with finals read back from the store.</param>
    public IEnumerable<TranscriptReceived> Unheard(IReadOnlyList<TranscriptReceived> stored, IReadOnlyList<string>? redacted = null)
    {
        var pairs = new List<(int Stored, string Channel, int Live, double Words, long Distance)>();
        var liveWords = new Dictionary<string, HashSet<string>[]>();
        for (var i = 0; i < stored.Count; i++)
        {
            var s = stored[i];
            if (!_finals.TryGetValue(s.Channel, out var finals))
            {
                continue;
            }
            if (!liveWords.TryGetValue(s.Channel, out var words))
            {
                liveWords[s.Channel] = words = [.. finals.Select(f => Words(f.Text))];
            }
            var storedWords = Words(s.Text);
            var storedRedactedWords = redacted is null ? storedWords : Words(redacted[i]);
            var (start, end) = (s.OffsetMs, s.OffsetMs + s.DurationMs);
            for (var j = 0; j < finals.Count; j++)
            {
                var live = finals[j];
                if (live.Start > end + DriftMs || start > live.End + DriftMs)
                {
                    continue;
                }
                var similarity = Dice(live.Redacted ? storedRedactedWords : storedWords, words[j]);
                if (similarity >= SameWords)
                {
                    pairs.Add((i, s.Channel, j, similarity, Math.Abs(live.Start - start)));
                }
            }
        }
        pairs.Sort((a, b) => a.Words != b.Words ? b.Words.CompareTo(a.Words) : a.Distance.CompareTo(b.Distance));
        var heard = new bool[stored.Count];
        var used = new HashSet<(string, int)>();
        foreach (var p in pairs)
        {
            if (!heard[p.Stored] && used.Add((p.Channel, p.Live)))
            {
                heard[p.Stored] = true;
            }
        }
        for (var i = 0; i < stored.Count; i++)
        {
            if (!heard[i])
            {
                yield return stored[i];
            }
        }
    }

    private static HashSet<string> Words(string text)
    {
        var words = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_');
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                // a placeholder is one word whatever it names: two recorders (or a recorder and its backfill) that heard
                // the same answer with and without its question masked it as [CVV] and as [NUMBER]
                words.Add(start > 0 && text[start - 1] == '[' && i < text.Length && text[i] == ']' ? "[]" : text[start..i]);
                start = -1;
            }
        }
        return words;
    }

    private static double Dice(HashSet<string> a, HashSet<string> b)
    {
        if (a.Count + b.Count == 0)
        {
            return 1;
        }
        var common = 0;
        foreach (var w in a)
        {
            if (b.Contains(w))
            {
                common++;
            }
        }
        return 2.0 * common / (a.Count + b.Count);
    }
}
