using System.Text.Json.Serialization;

namespace ComplianceRecorder.Pipeline.Events;

/// <summary>
/// A frame that could not be decoded. Its text is kept (redacted and size-capped) with the reason,
/// so nothing received is lost silently and nothing personal is stored raw.
/// </summary>
public sealed record FrameQuarantined(
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("redactedFrame")] string RedactedFrame,
    [property: JsonPropertyName("length")] int Length,
    [property: JsonPropertyName("receivedAt")] DateTimeOffset ReceivedAt) : RecordedEvent
{
    public const string TypeName = "frame_quarantined";

    public override string StreamId => Streams.Quarantine;

    public override string Type => TypeName;

    /// <summary>Given when the frame is quarantined: a retried or spilled append of it is recognised, while
    /// two frames alike in every byte, received twice, stay two.</summary>
    [JsonPropertyName("id")]
    public string Id { get; init; } = Guid.NewGuid().ToString("N");

    public override string? SourceKey => "quarantined:" + Id;
}

/// <summary>
/// Latency and throughput over one window of event time, overall or for one call. The P-figures are
/// receive→durable, on our clock alone. <see cref="SourceSkewMs"/> is the smallest source→receive gap
/// seen in the window: transport is never faster than zero, so it bounds how far the source's clock
/// runs behind ours (negative: ahead). It is reported beside latency, never added into it.
/// </summary>
public sealed record MetricsWindowClosed(
    [property: JsonPropertyName("scope")] string Scope,
    [property: JsonPropertyName("windowStart")] DateTimeOffset WindowStart,
    [property: JsonPropertyName("windowEnd")] DateTimeOffset WindowEnd,
    [property: JsonPropertyName("segments")] int Segments,
    [property: JsonPropertyName("tokens")] int Tokens,
    [property: JsonPropertyName("p50Ms")] double P50Ms,
    [property: JsonPropertyName("p95Ms")] double P95Ms,
    [property: JsonPropertyName("p99Ms")] double P99Ms,
    [property: JsonPropertyName("maxMs")] double MaxMs,
    [property: JsonPropertyName("gaps")] int Gaps,
    [property: JsonPropertyName("sourceSkewMs")] double? SourceSkewMs = null) : RecordedEvent
{
    public const string TypeName = "metrics_window_closed";

    public override string StreamId => Streams.Metrics;

    public override string Type => TypeName;

    public override string? SourceKey => $"{Scope}:{WindowStart.ToUnixTimeMilliseconds()}";
}

/// <summary>Somebody read a report or an export. Auditors ask who looked.</summary>
public sealed record ReportAccessed(
    [property: JsonPropertyName("who")] string Who,
    [property: JsonPropertyName("what")] string What,
    [property: JsonPropertyName("query")] string Query,
    [property: JsonPropertyName("at")] DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "report_accessed";

    public override string StreamId => Streams.Access;

    public override string Type => TypeName;

    /// <summary>Given when the access happens: a retried or spilled append of it is recognised, while two
    /// reads alike in every field (the same report asked twice in one tick of a virtual clock) stay two.</summary>
    [JsonPropertyName("id")]
    public string Id { get; init; } = Guid.NewGuid().ToString("N");

    public override string? SourceKey => "access:" + Id;
}

/// <summary>
/// The stored transcript of a call with gaps could not be fetched or read: the gaps stay as recorded,
/// and this says why (a status or a missing field, never transcript text).
/// </summary>
public sealed record BackfillFailed(
    [property: JsonPropertyName("conversationId")] string ConversationId,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("at")] DateTimeOffset At) : RecordedEvent
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
public sealed record EventRefused(
    [property: JsonPropertyName("stream")] string Stream,
    [property: JsonPropertyName("originalType")] string OriginalType,
    [property: JsonPropertyName("originalSourceKey")] string? OriginalSourceKey,
    [property: JsonPropertyName("sqlState")] string? SqlState,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("at")] DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "event_refused";

    public override string StreamId => Streams.Refused;

    public override string Type => TypeName;

    /// <summary>A hash of the refused event's identity: fixed in size and free of whatever made it refusable, and the same on a replay.</summary>
    public override string? SourceKey => OriginalSourceKey is null ? null
        : "refused:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Stream + "\n" + OriginalSourceKey)));
}
