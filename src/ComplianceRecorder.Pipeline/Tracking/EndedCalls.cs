using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Pipeline.Tracking;

/// <summary>What became of an event for a call the source already said was over.</summary>
internal readonly record struct AfterEnd(bool Ended, CoverageGapRecorded? Late);

/// <summary>
/// Calls the source said were over, remembered for a while: a frame that comes after the end is a late
/// arrival, recorded as such, and never opens the call again as new speech (whichever order the end
/// and the frame were sent in, the end is what was heard first).
/// </summary>
internal sealed class EndedCalls(TimeSpan remember, Func<string, bool> held)
{
    // when each call ended, and whether a gap naming it has opened its record again since (the next end is that record's)
    private readonly Dictionary<string, (DateTimeOffset At, bool Reopened)> _ended = new(StringComparer.Ordinal);
    private DateTimeOffset _nextPrune;

    public AfterEnd Route(SourceEvent e, DateTimeOffset now)
    {
        switch (e)
        {
            case CallFinished f:
                if (_ended.TryGetValue(f.ConversationId, out var ended) && !ended.Reopened)
                {
                    // the end said twice (a redelivered SESSION_ENDED): the call ended once
                    return new AfterEnd(true, null);
                }
                Prune(now);
                _ended[f.ConversationId] = (now, false);
                return default;
            case SourceDisconnected d:
                // a gap is recorded whenever it comes, so it opens the call's record again; a held call's (its next
                // session paused, say) ends only with the call's next end, which must not be taken for a repeat. An
                // unheld one ends by its idle time, and a redelivered end after it stays a repeat
                foreach (var call in d.ConversationIds)
                {
                    if (held(call) && _ended.TryGetValue(call, out var was) && !was.Reopened)
                    {
                        _ended[call] = (was.At, true);
                    }
                }
                return default;
            case CallHeld h when _ended.ContainsKey(h.ConversationId):
                // a hold said after the end would open a record only the source's next end could close
                return new AfterEnd(true, null);
            case TranscriptReceived t when _ended.ContainsKey(t.ConversationId):
                return new AfterEnd(true, new CoverageGapRecorded(t.ConversationId, t.Channel, GapKind.LateArrival, t.ReceivedAt, t.ReceivedAt,
                    t.Sequence, t.Sequence, 0, $"a {(t.IsFinal ? "final" : "partial")} at {t.OffsetMs} ms arrived after the call ended; not recorded as speech"));
            default:
                return default;
        }
    }

    private void Prune(DateTimeOffset now)
    {
        if (now < _nextPrune)
        {
            return;
        }
        _nextPrune = now + remember / 4;
        foreach (var (call, (at, _)) in _ended)
        {
            if (now - at > remember)
            {
                _ended.Remove(call);
            }
        }
    }
}
