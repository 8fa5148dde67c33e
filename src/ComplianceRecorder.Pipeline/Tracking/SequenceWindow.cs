using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Pipeline.Tracking;

/// <summary>
/// Puts one stream's eventSequence back in order. A message that arrives ahead of its turn waits in a
/// small window for the ones before it; when the window overflows (or the call ends) whatever is still
/// missing is recorded as a sequence gap with the lost range. Duplicates are dropped; a message whose
/// place was already given up is recorded as a late arrival and still kept, since it holds speech.
/// Utterances are numbered here, in sequence order rather than arrival order: a final closes its
/// utterance, so a message belongs to the utterance after the finals numbered before it. Each restart
/// of the numbering (a reconnect, or the source starting again from 1) is an epoch of its own, so
/// utterance ids never repeat within a call.
/// </summary>
internal sealed class SequenceWindow(int size)
{
    private readonly SortedList<long, TranscriptReceived> _waiting = [];
    private readonly HashSet<long> _seen = [];
    private long _expected = -1;
    private long _highest = -1;
    private DateTimeOffset _lastReceived;
    private TranscriptReceived? _first;
    // the newest source time heard in this epoch: a number already taken that comes with a newer time is
    // not a redelivery but the numbering starting again
    private DateTimeOffset? _newestSource;

    /// <summary>The sequences of this epoch's finals, ascending: how many precede a message is its utterance number.</summary>
    private readonly List<long> _finals = [];
    private int _epoch;
    private int _utterance = -1;
    private string _utteranceId = "";

    public void Accept(TranscriptReceived t, List<object> gaps, List<TranscriptReceived> ready)
    {
        var seq = t.Sequence!.Value;
        if (_expected < 0)
        {
            // the first message heard is the baseline: a subscription may start mid-stream
            _first = t;
            _newestSource = t.SourceTime;
            Take(t, ready);
            return;
        }
        // a restart says 1 again about something new; a redelivery of the old 1 is the same message. Early in
        // a stream a small number can still be a late one, so there it takes a source time newer than any heard
        var restarted = seq <= 1 && _highest > size || seq < _expected && seq <= size && t.SourceTime > _newestSource;
        if (t.SourceTime > _newestSource)
        {
            _newestSource = t.SourceTime;
        }
        if (restarted && !SameMessage(t, _first!))
        {
            Flush(t.ConversationId, t.Channel, t.ReceivedAt, gaps, ready);
            gaps.Add(new CoverageGapRecorded(t.ConversationId, t.Channel, GapKind.SequenceRestart, t.ReceivedAt, t.ReceivedAt,
                _highest, seq, 0, $"eventSequence restarted at {seq} after {_highest}"));
            Reset();
            _first = t;
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
            ready.Add(Numbered(t, late: true));
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
        _first = null;
        _newestSource = null;
        _finals.Clear();
        _epoch++;
        _utterance = -1;
    }

    private static bool SameMessage(TranscriptReceived a, TranscriptReceived b) =>
        a.IsFinal == b.IsFinal && a.SourceTime == b.SourceTime && string.Equals(a.Text, b.Text, StringComparison.Ordinal);

    /// <summary>The message with its utterance id, from the finals before it in sequence order.</summary>
    private TranscriptReceived Numbered(TranscriptReceived t, bool late)
    {
        var seq = t.Sequence!.Value;
        var before = _finals.Count;
        if (late)
        {
            var at = _finals.BinarySearch(seq);
            before = at >= 0 ? at : ~at;
            if (t.IsFinal && before < _finals.Count)
            {
                // the messages after its hole were taken as its utterance and closed by a later final:
                // it keeps an id of its own rather than count as a revision after that final
                return t with { UtteranceId = $"{UtteranceId(t, before)}~{seq}" };
            }
        }
        if (t.IsFinal)
        {
            _finals.Add(seq);
        }
        if (before != _utterance)
        {
            // one id string per utterance, shared by its revisions
            _utterance = before;
            _utteranceId = UtteranceId(t, before);
        }
        return t with { UtteranceId = _utteranceId };
    }

    private string UtteranceId(TranscriptReceived t, int utterance) => $"{t.MediaSessionId ?? t.ConversationId}:{_epoch}:{utterance}";

    private CoverageGapRecorded Gap(string conversationId, string channel, long from, long to, DateTimeOffset at) =>
        new(conversationId, channel, GapKind.SequenceGap, _lastReceived, at, from, to, (int)Math.Min(int.MaxValue, to - from + 1),
            $"eventSequence {from}..{to} never arrived");

    private void Take(TranscriptReceived t, List<TranscriptReceived> ready)
    {
        var seq = t.Sequence!.Value;
        ready.Add(Numbered(t, late: false));
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
