using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Pipeline.Tracking;

/// <summary>
/// What one call's live stream delivered, kept so backfill adds only what was not heard: the start
/// offsets of finals per channel, how many gaps were recorded, and which communication was transcribed.
/// </summary>
public sealed class HeardLive
{
    /// <summary>Live and stored offsets of the same utterance may differ by the recognizer's rounding.</summary>
    private const long ToleranceMs = 250;

    private readonly Dictionary<string, List<long>> _finals = [];

    public int Gaps { get; private set; }

    public string? CommunicationId { get; private set; }

    public void Note(object item)
    {
        switch (item)
        {
            case TrackedTranscript { Transcript: { IsFinal: true } t }:
                if (!_finals.TryGetValue(t.Channel, out var offsets))
                {
                    _finals[t.Channel] = offsets = [];
                }
                offsets.Add(t.OffsetMs);
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

    /// <summary>
    /// The stored utterances no live final accounts for. Each live final accounts for at most one, the
    /// nearest in offset on its channel, so two short utterances close together are not both taken as heard.
    /// </summary>
    public IEnumerable<TranscriptReceived> Unheard(IReadOnlyList<TranscriptReceived> stored)
    {
        var taken = new HashSet<(string, int)>();
        foreach (var t in stored)
        {
            var best = -1;
            if (_finals.TryGetValue(t.Channel, out var offsets))
            {
                for (var i = 0; i < offsets.Count; i++)
                {
                    var distance = Math.Abs(offsets[i] - t.OffsetMs);
                    if (distance <= ToleranceMs && !taken.Contains((t.Channel, i)) && (best < 0 || distance < Math.Abs(offsets[best] - t.OffsetMs)))
                    {
                        best = i;
                    }
                }
            }
            if (best < 0)
            {
                yield return t;
            }
            else
            {
                taken.Add((t.Channel, best));
            }
        }
    }
}
