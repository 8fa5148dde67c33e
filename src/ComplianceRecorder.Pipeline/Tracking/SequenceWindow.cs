using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Pipeline.Tracking;

/// <summary>
/// Puts one stream's eventSequence back in order. A message that arrives ahead of its turn waits in a
/// small window for the ones before it; when the window overflows (or the call ends) whatever is still
/// missing is recorded as a sequence gap with the lost range. Duplicates are dropped; a message whose
/// place was already given up is recorded as a late arrival and still kept, since it holds speech.
/// </summary>
internal sealed class SequenceWindow(int size)
{
    private readonly SortedList<long, TranscriptReceived> _waiting = [];
    private readonly HashSet<long> _seen = [];
    private long _expected = -1;
    private long _highest = -1;
    private DateTimeOffset _lastReceived;
    private string? _firstUtterance;

    public void Accept(TranscriptReceived t, List<object> gaps, List<TranscriptReceived> ready)
    {
        var seq = t.Sequence!.Value;
        if (_expected < 0)
        {
            // the first message heard is the baseline: a subscription may start mid-stream
            _firstUtterance = t.UtteranceId;
            Take(t, ready);
            return;
        }
        // a restart says 1 again about something new; a redelivery of the old 1 says the same utterance
        if (seq <= 1 && _highest > size && t.UtteranceId != _firstUtterance)
        {
            Flush(t.ConversationId, t.Channel, t.ReceivedAt, gaps, ready);
            gaps.Add(new CoverageGapRecorded(t.ConversationId, t.Channel, GapKind.SequenceRestart, t.ReceivedAt, t.ReceivedAt,
                _highest, seq, 0, $"eventSequence restarted at {seq} after {_highest}"));
            Reset();
            _firstUtterance = t.UtteranceId;
            Take(t, ready);
            return;
        }
        if (_seen.Contains(seq) || _waiting.ContainsKey(seq))
        {
            return;
        }
        if (seq < _expected)
        {
            gaps.Add(new CoverageGapRecorded(t.ConversationId, t.Channel, GapKind.LateArrival, t.ReceivedAt, t.ReceivedAt,
                seq, seq, 0, $"eventSequence {seq} arrived after the window had moved on to {_expected}"));
            _seen.Add(seq);
            ready.Add(t);
            return;
        }
        if (seq == _expected)
        {
            Take(t, ready);
            Drain(ready);
            return;
        }
        _waiting.Add(seq, t);
        if (_waiting.Count > size)
        {
            // the window is full: what is still missing before its first message is not coming
            var first = _waiting.Keys[0];
            gaps.Add(Gap(t.ConversationId, t.Channel, _expected, first - 1, t.ReceivedAt));
            _expected = first;
            Drain(ready);
        }
    }

    /// <summary>The stream ended: everything waiting goes out, with a gap before each hole.</summary>
    public void Flush(string conversationId, string channel, DateTimeOffset at, List<object> gaps, List<TranscriptReceived> ready)
    {
        while (_waiting.Count > 0)
        {
            var first = _waiting.Keys[0];
            if (first > _expected)
            {
                gaps.Add(Gap(conversationId, channel, _expected, first - 1, at));
                _expected = first;
            }
            Drain(ready);
        }
    }

    /// <summary>After a reconnect the source may number from anywhere: the next message is a new baseline.</summary>
    public void Reset()
    {
        _seen.Clear();
        _highest = -1;
        _expected = -1;
        _firstUtterance = null;
    }

    private CoverageGapRecorded Gap(string conversationId, string channel, long from, long to, DateTimeOffset at) =>
        new(conversationId, channel, GapKind.SequenceGap, _lastReceived, at, from, to, (int)Math.Min(int.MaxValue, to - from + 1),
            $"eventSequence {from}..{to} never arrived");

    private void Take(TranscriptReceived t, List<TranscriptReceived> ready)
    {
        var seq = t.Sequence!.Value;
        ready.Add(t);
        _seen.Add(seq);
        _expected = seq + 1;
        _highest = Math.Max(_highest, seq);
        _lastReceived = t.ReceivedAt;
        if (_seen.Count > 4 * 1024)
        {
            // only the recent past can still be redelivered; keep the set small
            _seen.RemoveWhere(s => s < _expected - 1024);
        }
    }

    private void Drain(List<TranscriptReceived> ready)
    {
        while (_waiting.Count > 0 && _waiting.Keys[0] == _expected)
        {
            var next = _waiting.Values[0];
            _waiting.RemoveAt(0);
            Take(next, ready);
        }
    }
}
