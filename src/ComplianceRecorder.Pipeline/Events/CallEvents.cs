using System.Text.Json.Serialization;

namespace ComplianceRecorder.Pipeline.Events;

/// <summary>One revision of one utterance, redacted. Only redacted text is ever recorded.</summary>
public sealed record SegmentRecorded(
    [property: JsonPropertyName("conversationId")] string ConversationId,
    [property: JsonPropertyName("channel")] string Channel,
    [property: JsonPropertyName("utteranceId")] string UtteranceId,
    [property: JsonPropertyName("revision")] int Revision,
    [property: JsonPropertyName("isFinal")] bool IsFinal,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("rawLength")] int RawLength,
    [property: JsonPropertyName("redactedLength")] int RedactedLength,
    [property: JsonPropertyName("tokens")] int Tokens,
    [property: JsonPropertyName("entities")] Dictionary<string, int> Entities,
    [property: JsonPropertyName("offsetMs")] long OffsetMs,
    [property: JsonPropertyName("durationMs")] long DurationMs,
    [property: JsonPropertyName("sourceSequence")] long? SourceSequence,
    [property: JsonPropertyName("mediaSessionId")] string? MediaSessionId,
    [property: JsonPropertyName("sourceTime")] DateTimeOffset? SourceTime,
    [property: JsonPropertyName("receivedAt")] DateTimeOffset ReceivedAt,
    [property: JsonPropertyName("redactedAt")] DateTimeOffset RedactedAt,
    [property: JsonPropertyName("latencyMs")] double? LatencyMs,
    [property: JsonPropertyName("backfilled")] bool Backfilled,
    [property: JsonPropertyName("dialect")] string Dialect) : RecordedEvent
{
    public const string TypeName = "segment_recorded";

    public override string StreamId => ConversationId;

    public override string Type => TypeName;

    /// <summary>
    /// The media dialect numbers its messages, but afresh after every reconnect, so a number alone
    /// names a message only with the time the source stamped on it (a redelivery carries the same
    /// stamp; new speech after a restart a later one), or else with the utterance, whose id holds the
    /// restart count. The notifications dialect does not number, so a partial revision is known by its
    /// utterance and (redacted) words: the same revision delivered twice, or heard by two recorders, gets
    /// the same key whatever revision number each counted. An utterance has one final, known by the
    /// utterance and its offset into the call (the source's, the same for every recorder; an id a source
    /// reuses, such as a backfill's phrase index, is told apart by it), not its words: two recorders that
    /// redacted it differently (one heard the question before it, one did not) store it once, the first
    /// writer's, not twice.
    /// </summary>
    public override string? SourceKey => SourceSequence is { } s
        ? SourceTime is { } at ? $"seq:{s}@{at.ToUnixTimeMilliseconds()}" : $"seq:{UtteranceId}:{s}"
        : IsFinal ? $"utt:{Channel}:{UtteranceId}:F@{OffsetMs}{(Backfilled ? ":backfill" : "")}"
        : $"utt:{Channel}:{UtteranceId}:P:{TextKey(Text)}{(Backfilled ? ":backfill" : "")}";

    private static string TextKey(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }
}

/// <summary>Stored by name (pinned, as the event properties are): auditors read <c>kind</c> in audit_gaps.</summary>
public enum GapKind
{
    /// <summary>Media dialect: eventSequence jumped; <c>LostCount</c> messages never came.</summary>
    [JsonStringEnumMemberName("SequenceGap")]
    SequenceGap,

    /// <summary>A partial whose utterance never got a final before a later final on that channel.</summary>
    [JsonStringEnumMemberName("MissingFinal")]
    MissingFinal,

    /// <summary>Source offsets jumped further than the tolerance allows.</summary>
    [JsonStringEnumMemberName("OffsetJump")]
    OffsetJump,

    /// <summary>The socket was down; nothing could be heard from <c>From</c> to <c>To</c>.</summary>
    [JsonStringEnumMemberName("Disconnected")]
    Disconnected,

    /// <summary>A message came after the reorder window had closed over its place.</summary>
    [JsonStringEnumMemberName("LateArrival")]
    LateArrival,

    /// <summary>The source restarted its sequence numbers.</summary>
    [JsonStringEnumMemberName("SequenceRestart")]
    SequenceRestart,
}

/// <summary>A hole in what was heard, recorded so an auditor can see it.</summary>
public sealed record CoverageGapRecorded(
    [property: JsonPropertyName("conversationId")] string ConversationId,
    [property: JsonPropertyName("channel")] string? Channel,
    [property: JsonPropertyName("kind")] GapKind Kind,
    [property: JsonPropertyName("from")] DateTimeOffset From,
    [property: JsonPropertyName("to")] DateTimeOffset To,
    [property: JsonPropertyName("fromSequence")] long? FromSequence,
    [property: JsonPropertyName("toSequence")] long? ToSequence,
    [property: JsonPropertyName("lostCount")] int LostCount,
    [property: JsonPropertyName("detail")] string Detail) : RecordedEvent
{
    public const string TypeName = "coverage_gap_recorded";

    public override string StreamId => ConversationId;

    public override string Type => TypeName;

    /// <summary>Sequence numbers start again after a restart: the time tells one epoch's hole from another's.</summary>
    public override string? SourceKey => FromSequence is { } f
        ? $"gap:{Kind}:{Channel}:{f}:{ToSequence}@{From.ToUnixTimeMilliseconds()}"
        // with no numbers, the hole is its span: the same span of the same kind is the same hole, retried or spilled
        : $"gap:{Kind}:{Channel}:{From.UtcTicks}-{To.UtcTicks}";
}

public sealed record CallStarted(
    [property: JsonPropertyName("conversationId")] string ConversationId,
    [property: JsonPropertyName("dialect")] string Dialect,
    [property: JsonPropertyName("at")] DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "call_started";

    /// <summary>The queue that announced the call, when Genesys said (optional: older events and the media dialect have none).</summary>
    [JsonPropertyName("queueId")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? QueueId { get; init; }

    /// <summary>The agent's Genesys user id, when the announcement named one.</summary>
    [JsonPropertyName("agentId")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? AgentId { get; init; }

    /// <summary>The agent's name as Genesys gives it (staff directory data, not transcript text).</summary>
    [JsonPropertyName("agentName")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? AgentName { get; init; }

    public override string StreamId => ConversationId;

    public override string Type => TypeName;

    public override string? SourceKey => "call_started";
}

public sealed record CallEnded(
    [property: JsonPropertyName("conversationId")] string ConversationId,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("at")] DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "call_ended";

    public override string StreamId => ConversationId;

    public override string Type => TypeName;

    public override string? SourceKey => "call_ended";
}
