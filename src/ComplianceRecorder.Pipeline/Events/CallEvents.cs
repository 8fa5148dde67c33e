namespace ComplianceRecorder.Pipeline.Events;

/// <summary>One revision of one utterance, redacted. Only redacted text is ever recorded.</summary>
public sealed record SegmentRecorded(
    string ConversationId,
    string Channel,
    string UtteranceId,
    int Revision,
    bool IsFinal,
    string Text,
    int RawLength,
    int RedactedLength,
    int Tokens,
    Dictionary<string, int> Entities,
    long OffsetMs,
    long DurationMs,
    long? SourceSequence,
    string? MediaSessionId,
    DateTimeOffset? SourceTime,
    DateTimeOffset ReceivedAt,
    DateTimeOffset RedactedAt,
    double? LatencyMs,
    bool Backfilled,
    string Dialect) : RecordedEvent
{
    public const string TypeName = "segment_recorded";

    public override string StreamId => ConversationId;

    public override string Type => TypeName;

    /// <summary>
    /// The media dialect numbers its messages, but afresh after every reconnect, so a number alone
    /// names a message only with the time the source stamped on it (a redelivery carries the same
    /// stamp; new speech after a restart a later one), or else with the utterance, whose id holds the
    /// restart count. The notifications dialect does not number, so a revision is known by its
    /// utterance, finality and (redacted) words: the same revision delivered twice, or heard by two
    /// recorders, gets the same key whatever revision number each counted.
    /// </summary>
    public override string? SourceKey => SourceSequence is { } s
        ? SourceTime is { } at ? $"seq:{s}@{at.ToUnixTimeMilliseconds()}" : $"seq:{UtteranceId}:{s}"
        : $"utt:{Channel}:{UtteranceId}:{(IsFinal ? "F" : "P")}:{TextKey(Text)}{(Backfilled ? ":backfill" : "")}";

    private static string TextKey(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }
}

public enum GapKind
{
    /// <summary>Media dialect: eventSequence jumped; <c>LostCount</c> messages never came.</summary>
    SequenceGap,

    /// <summary>A partial whose utterance never got a final before a later final on that channel.</summary>
    MissingFinal,

    /// <summary>Source offsets jumped further than the tolerance allows.</summary>
    OffsetJump,

    /// <summary>The socket was down; nothing could be heard from <c>From</c> to <c>To</c>.</summary>
    Disconnected,

    /// <summary>A message came after the reorder window had closed over its place.</summary>
    LateArrival,

    /// <summary>The source restarted its sequence numbers.</summary>
    SequenceRestart,
}

/// <summary>A hole in what was heard, recorded so an auditor can see it.</summary>
public sealed record CoverageGapRecorded(
    string ConversationId,
    string? Channel,
    GapKind Kind,
    DateTimeOffset From,
    DateTimeOffset To,
    long? FromSequence,
    long? ToSequence,
    int LostCount,
    string Detail) : RecordedEvent
{
    public const string TypeName = "coverage_gap_recorded";

    public override string StreamId => ConversationId;

    public override string Type => TypeName;

    /// <summary>Sequence numbers start again after a restart: the time tells one epoch's hole from another's.</summary>
    public override string? SourceKey => FromSequence is { } f ? $"gap:{Kind}:{Channel}:{f}:{ToSequence}@{From.ToUnixTimeMilliseconds()}" : null;
}

public sealed record CallStarted(string ConversationId, string Dialect, DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "call_started";

    public override string StreamId => ConversationId;

    public override string Type => TypeName;

    public override string? SourceKey => "call_started";
}

public sealed record CallEnded(string ConversationId, string Reason, DateTimeOffset At) : RecordedEvent
{
    public const string TypeName = "call_ended";

    public override string StreamId => ConversationId;

    public override string Type => TypeName;

    public override string? SourceKey => "call_ended";
}
