using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Pipeline.Tracking;

/// <summary>A transcript that passed the tracker, with the revision number of its utterance.</summary>
public sealed record TrackedTranscript(TranscriptReceived Transcript, int Revision);

/// <summary>
/// The state the Scan carries for one call: what was heard so far, so holes become recorded gaps.
/// Immutable in spirit: <see cref="Next"/> returns the state after one event and what it emitted;
/// only the small per-channel tables are reused, since one call's group sees its events in order.
/// </summary>
public sealed class CoverageTracker
{
    private readonly Dictionary<string, ChannelState> _channels = new(StringComparer.Ordinal);

    public CoverageTracker(TimeSpan offsetTolerance) => OffsetTolerance = offsetTolerance;

    public TimeSpan OffsetTolerance { get; }

    /// <summary>What the last event produced: transcripts to redact and gaps to record.</summary>
    public List<object> Emitted { get; } = new(4);

    private sealed class ChannelState
    {
        public long? LastSequence;
        public long LastFinalEndMs = -1;
        public DateTimeOffset LastReceived;
        public readonly Dictionary<string, int> Revisions = new(StringComparer.Ordinal);
        public readonly HashSet<string> Finished = new(StringComparer.Ordinal);
        public readonly Dictionary<string, long> OpenPartials = new(StringComparer.Ordinal);
    }

    public CoverageTracker Next(SourceEvent e)
    {
        Emitted.Clear();
        switch (e)
        {
            case TranscriptReceived t:
                OnTranscript(t);
                break;
            case SourceDisconnected d:
                foreach (var call in d.ConversationIds)
                {
                    Emitted.Add(new CoverageGapRecorded(call, null, GapKind.Disconnected, d.From, d.ReceivedAt, null, null, 0,
                        $"source socket down: {d.Reason}"));
                }
                break;
            case CallFinished f:
                foreach (var (channel, state) in _channels)
                {
                    foreach (var (utterance, offset) in state.OpenPartials)
                    {
                        Emitted.Add(new CoverageGapRecorded(f.ConversationId, channel, GapKind.MissingFinal, state.LastReceived, f.ReceivedAt, null, null, 1,
                            $"utterance {utterance} at {offset} ms never got a final"));
                    }
                    state.OpenPartials.Clear();
                }
                break;
        }
        return this;
    }

    private void OnTranscript(TranscriptReceived t)
    {
        if (!_channels.TryGetValue(t.Channel, out var ch))
        {
            _channels[t.Channel] = ch = new ChannelState();
        }
        if (t.Sequence is { } seq && !OnSequence(t, ch, seq))
        {
            return;
        }
        if (ch.Finished.Contains(t.UtteranceId))
        {
            // a revision after the final: a redelivery; the final stands
            return;
        }
        var revision = ch.Revisions.TryGetValue(t.UtteranceId, out var r) ? r + 1 : 1;
        ch.Revisions[t.UtteranceId] = revision;
        ch.LastReceived = t.ReceivedAt;

        if (t.IsFinal)
        {
            ch.Finished.Add(t.UtteranceId);
            ch.OpenPartials.Remove(t.UtteranceId);
            // any other utterance still open and older than this final will never be finished
            foreach (var (utterance, offset) in ch.OpenPartials)
            {
                if (offset < t.OffsetMs)
                {
                    Emitted.Add(new CoverageGapRecorded(t.ConversationId, t.Channel, GapKind.MissingFinal, t.ReceivedAt, t.ReceivedAt, null, null, 1,
                        $"utterance {utterance} at {offset} ms never got a final"));
                    ch.OpenPartials.Remove(utterance);
                    ch.Finished.Add(utterance);
                }
            }
            if (ch.LastFinalEndMs >= 0 && t.OffsetMs - ch.LastFinalEndMs > OffsetTolerance.TotalMilliseconds)
            {
                Emitted.Add(new CoverageGapRecorded(t.ConversationId, t.Channel, GapKind.OffsetJump,
                    t.ReceivedAt, t.ReceivedAt, ch.LastFinalEndMs, t.OffsetMs, 0,
                    $"offsets jumped from {ch.LastFinalEndMs} ms to {t.OffsetMs} ms"));
            }
            ch.LastFinalEndMs = Math.Max(ch.LastFinalEndMs, t.OffsetMs + t.DurationMs);
        }
        else
        {
            ch.OpenPartials[t.UtteranceId] = t.OffsetMs;
        }
        Emitted.Add(new TrackedTranscript(t, revision));
    }

    /// <returns>False when the message is a duplicate to drop.</returns>
    private bool OnSequence(TranscriptReceived t, ChannelState ch, long seq)
    {
        if (ch.LastSequence is not { } last)
        {
            ch.LastSequence = seq;
            return true;
        }
        if (seq == last + 1)
        {
            ch.LastSequence = seq;
            return true;
        }
        if (seq > last + 1)
        {
            Emitted.Add(new CoverageGapRecorded(t.ConversationId, t.Channel, GapKind.SequenceGap, ch.LastReceived, t.ReceivedAt,
                last + 1, seq - 1, (int)Math.Min(int.MaxValue, seq - last - 1), $"eventSequence jumped from {last} to {seq}"));
            ch.LastSequence = seq;
            return true;
        }
        // a restart, not a late duplicate: the source began again from the start well past any reorder window
        if (seq <= 1 && last > 10)
        {
            Emitted.Add(new CoverageGapRecorded(t.ConversationId, t.Channel, GapKind.SequenceRestart, t.ReceivedAt, t.ReceivedAt,
                last, seq, 0, $"eventSequence restarted at {seq} after {last}"));
            ch.LastSequence = seq;
            return true;
        }
        // seq <= last: a duplicate or a late arrival whose place has passed
        return false;
    }
}
