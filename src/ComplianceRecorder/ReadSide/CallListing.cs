namespace ComplianceRecorder.ReadSide;

/// <summary>One line of the live page's call list.</summary>
public sealed record CallListing(
    string ConversationId, DateTime StartedAt, bool Ended, int Segments, int Finals, int Gaps, int Redactions, double? P50LatencyMs, double? P99LatencyMs);
