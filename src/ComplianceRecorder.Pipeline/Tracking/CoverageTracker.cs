using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Pipeline.Tracking;

/// <summary>
/// The state the Scan carries for one call: what was heard so far, so holes become recorded gaps.
/// Immutable in spirit: <see cref="Next"/> returns the state after one event and what it emitted;
/// only the small per-channel tables are reused, since one call's group sees its events in order.
/// </summary>
public sealed class CoverageTracker
{
    private readonly Dictionary<string, ChannelState> _channels = new(StringComparer.Ordinal);

    private readonly List<TranscriptReceived> _ready = new(4);

    public CoverageTracker(TimeSpan offsetTolerance, int reorderWindow = 8)
    {
        OffsetTolerance = offsetTolerance;
        ReorderWindow = reorderWindow;
    }

    public TimeSpan OffsetTolerance { get; }

    public int ReorderWindow { get; }

    /// <summary>What the last event produced: transcripts to redact and gaps to record.</summary>
    public List<object> Emitted { get; } = new(4);

    private sealed class ChannelState
    {
        public SequenceWindow? Sequence;
        public long LastFinalEndMs = -1;
        public DateTimeOffset LastReceived;
        public readonly Dictionary<string, int> Revisions = new(StringComparer.Ordinal);
        public readonly Dictionary<string, string> LastText = new(StringComparer.Ordinal);
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
                    FlushSequences(call, d.ReceivedAt, reset: true);
                    Emitted.Add(new CoverageGapRecorded(call, null, GapKind.Disconnected, d.From, d.ReceivedAt, null, null, 0,
                        d.Detail ?? $"source socket down: {d.Reason}"));
                }
                break;
            case CallFinished f:
                FlushSequences(f.ConversationId, f.ReceivedAt, reset: false);
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

    private void FlushSequences(string conversationId, DateTimeOffset at, bool reset)
    {
        foreach (var (channel, state) in _channels)
        {
            if (state.Sequence is { } window)
            {
                _ready.Clear();
                window.Flush(conversationId, channel, at, Emitted, _ready);
                foreach (var r in _ready)
                {
                    OnInOrder(r, state);
                }
                if (reset)
                {
                    window.Reset();
                }
            }
        }
    }

    private void OnTranscript(TranscriptReceived t)
    {
        if (!_channels.TryGetValue(t.Channel, out var ch))
        {
            _channels[t.Channel] = ch = new ChannelState();
        }
        if (t.Sequence is null)
        {
            OnInOrder(t, ch);
            return;
        }
        _ready.Clear();
        (ch.Sequence ??= new SequenceWindow(ReorderWindow)).Accept(t, Emitted, _ready);
        foreach (var r in _ready)
        {
            OnInOrder(r, ch);
        }
    }

    private void OnInOrder(TranscriptReceived t, ChannelState ch)
    {
        if (ch.Finished.Contains(t.UtteranceId))
        {
            // a revision after the final: a redelivery; the final stands
            return;
        }
        if (!t.IsFinal && ch.LastText.TryGetValue(t.UtteranceId, out var last) && last == t.Text)
        {
            // the same partial again: a redelivery, not a revision
            return;
        }
        ch.LastText[t.UtteranceId] = t.Text;
        var revision = ch.Revisions.TryGetValue(t.UtteranceId, out var r) ? r + 1 : 1;
        ch.Revisions[t.UtteranceId] = revision;
        ch.LastReceived = t.ReceivedAt;

        if (t.IsFinal)
        {
            ch.Finished.Add(t.UtteranceId);
            ch.LastText.Remove(t.UtteranceId);
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
}
