using System.Text.Json.Serialization;

namespace ComplianceRecorder.Pipeline.Events;

/// <summary>A legal hold: while it stands, no call it covers (by call, agent or queue) is shredded by retention or erasure.</summary>
public sealed record LegalHoldPlaced(
    [property: JsonPropertyName("holdId")] string HoldId,
    [property: JsonPropertyName("scope")] string Scope,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("who")] string Who,
    [property: JsonPropertyName("at")] DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "legal_hold_placed";

    public override string StreamId => Streams.Holds;

    public override string Type => TypeName;

    public override string? SourceKey => "placed:" + HoldId;
}

public sealed record LegalHoldLifted(
    [property: JsonPropertyName("holdId")] string HoldId,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("who")] string Who,
    [property: JsonPropertyName("at")] DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "legal_hold_lifted";

    public override string StreamId => Streams.Holds;

    public override string Type => TypeName;

    public override string? SourceKey => "lifted:" + HoldId;
}

/// <summary>
/// The operator tied a call to a customer identifier, kept only as a keyed hash (HMAC with a key the
/// store holds wrapped), so a request to erase a customer finds their calls without the store naming them.
/// </summary>
public sealed record CustomerTagged(
    [property: JsonPropertyName("conversationId")] string ConversationId,
    [property: JsonPropertyName("customerHash")] string CustomerHash,
    [property: JsonPropertyName("who")] string Who,
    [property: JsonPropertyName("at")] DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "customer_tagged";

    public override string StreamId => ConversationId;

    public override string Type => TypeName;

    public override string? SourceKey => "customer:" + CustomerHash;
}

/// <summary>An erasure request destroyed this call's data key: its text reads [erased] from now on.</summary>
public sealed record CallErased(
    [property: JsonPropertyName("conversationId")] string ConversationId,
    [property: JsonPropertyName("keyId")] string KeyId,
    [property: JsonPropertyName("requestId")] string RequestId,
    [property: JsonPropertyName("who")] string Who,
    [property: JsonPropertyName("why")] string Why,
    [property: JsonPropertyName("ticket")] string Ticket,
    [property: JsonPropertyName("at")] DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "call_erased";

    public override string StreamId => ConversationId;

    public override string Type => TypeName;

    public override string? SourceKey => TypeName;
}

/// <summary>
/// A retention policy's term ran out for this call and its data key was destroyed. <c>queueKnown</c> is
/// false when the call's events name no queue, so the default policy was applied.
/// </summary>
public sealed record CallExpired(
    [property: JsonPropertyName("conversationId")] string ConversationId,
    [property: JsonPropertyName("keyId")] string KeyId,
    [property: JsonPropertyName("policy")] string Policy,
    [property: JsonPropertyName("days")] int Days,
    [property: JsonPropertyName("queueKnown")] bool QueueKnown,
    [property: JsonPropertyName("startedAt")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("at")] DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "call_expired";

    public override string StreamId => ConversationId;

    public override string Type => TypeName;

    public override string? SourceKey => TypeName;
}

/// <summary>One erasure request as asked and as answered: which calls were erased and which were held back.</summary>
public sealed record ErasureRequested(
    [property: JsonPropertyName("requestId")] string RequestId,
    [property: JsonPropertyName("by")] string By,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("who")] string Who,
    [property: JsonPropertyName("why")] string Why,
    [property: JsonPropertyName("ticket")] string Ticket,
    [property: JsonPropertyName("erased")] IReadOnlyList<string> Erased,
    [property: JsonPropertyName("heldBack")] IReadOnlyList<string> HeldBack,
    [property: JsonPropertyName("at")] DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "erasure_requested";

    public override string StreamId => Streams.Erasure;

    public override string Type => TypeName;

    public override string? SourceKey => "request:" + RequestId;
}

/// <summary>A retention policy set: for one queue, or the default (<c>queueId</c> null), in days from a call's start.</summary>
public sealed record RetentionPolicySet(
    [property: JsonPropertyName("queueId")] string? QueueId,
    [property: JsonPropertyName("days")] int Days,
    [property: JsonPropertyName("who")] string Who,
    [property: JsonPropertyName("at")] DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "retention_policy_set";

    public override string StreamId => Streams.Retention;

    public override string Type => TypeName;
}
