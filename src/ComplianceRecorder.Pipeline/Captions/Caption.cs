namespace ComplianceRecorder.Pipeline.Captions;

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
    string Kind = "segment");
