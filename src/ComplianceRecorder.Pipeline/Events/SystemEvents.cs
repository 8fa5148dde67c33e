namespace ComplianceRecorder.Pipeline.Events;

/// <summary>
/// A frame that could not be decoded. Its text is kept (redacted and size-capped) with the reason,
/// so nothing received is lost silently and nothing personal is stored raw.
/// </summary>
public sealed record FrameQuarantined(string Reason, string RedactedFrame, int Length, DateTimeOffset ReceivedAt) : RecordedEvent
{
    public const string TypeName = "frame_quarantined";

    public override string StreamId => Streams.Quarantine;

    public override string Type => TypeName;
}

/// <summary>
/// Latency and throughput over one window of event time, overall or for one call. The P-figures are
/// receive→durable, on our clock alone. <see cref="SourceSkewMs"/> is the smallest source→receive gap
/// seen in the window: transport is never faster than zero, so it bounds how far the source's clock
/// runs behind ours (negative: ahead). It is reported beside latency, never added into it.
/// </summary>
public sealed record MetricsWindowClosed(
    string Scope,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    int Segments,
    int Tokens,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs,
    int Gaps,
    double? SourceSkewMs = null) : RecordedEvent
{
    public const string TypeName = "metrics_window_closed";

    public override string StreamId => Streams.Metrics;

    public override string Type => TypeName;

    public override string? SourceKey => $"{Scope}:{WindowStart.ToUnixTimeMilliseconds()}";
}

/// <summary>Somebody read a report or an export. Auditors ask who looked.</summary>
public sealed record ReportAccessed(string Who, string What, string Query, DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "report_accessed";

    public override string StreamId => Streams.Access;

    public override string Type => TypeName;
}

/// <summary>
/// The stored transcript of a call with gaps could not be fetched or read: the gaps stay as recorded,
/// and this says why (a status or a missing field, never transcript text).
/// </summary>
public sealed record BackfillFailed(string ConversationId, string Reason, DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "backfill_failed";

    public override string StreamId => ConversationId;

    public override string Type => TypeName;

    public override string? SourceKey => TypeName;
}

/// <summary>
/// An event the store refused for its content (its SqlState says which rule), recorded in its place so
/// the refusal is visible and everything after it is still recorded. It names the event and the reason;
/// never the event's text.
/// </summary>
public sealed record EventRefused(string Stream, string OriginalType, string? OriginalSourceKey, string? SqlState, string Reason, DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "event_refused";

    public override string StreamId => Streams.Refused;

    public override string Type => TypeName;

    /// <summary>A hash of the refused event's identity: fixed in size and free of whatever made it refusable, and the same on a replay.</summary>
    public override string? SourceKey => OriginalSourceKey is null ? null
        : "refused:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Stream + "\n" + OriginalSourceKey)));
}
