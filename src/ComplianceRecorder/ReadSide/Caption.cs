using ComplianceRecorder.Pipeline.Events;

namespace ComplianceRecorder.ReadSide;

/// <summary>What a caption consumer sees: redacted text only, after it is durable.</summary>
public sealed record Caption(
    long Seq,
    string ConversationId,
    string Channel,
    string UtteranceId,
    int Revision,
    bool IsFinal,
    string Text,
    long OffsetMs,
    long DurationMs,
    double? LatencyMs,
    string Kind = "segment")
{
    public static Caption Of(SegmentRecorded s, long seq) =>
        new(seq, s.ConversationId, s.Channel, s.UtteranceId, s.Revision, s.IsFinal, s.Text, s.OffsetMs, s.DurationMs, s.LatencyMs);

    public static Caption Of(CoverageGapRecorded g, long seq) =>
        new(seq, g.ConversationId, g.Channel ?? "", "", 0, true, $"[gap: {g.Kind}, {g.Detail}]", 0, 0, null, "gap");

    public static Caption Ended(string conversationId, long seq) => new(seq, conversationId, "", "", 0, true, "", 0, 0, null, "ended");
}
