namespace ComplianceRecorder.Pipeline.Input;

/// <summary>What the Genesys side hands the pipeline, decoded from either dialect.</summary>
public abstract record SourceEvent(DateTimeOffset ReceivedAt);

/// <summary>One revision of one utterance as received, raw: it is redacted before it goes anywhere else.</summary>
public sealed record TranscriptReceived(
    string ConversationId,
    string Channel,
    string UtteranceId,
    bool IsFinal,
    string Text,
    long OffsetMs,
    long DurationMs,
    DateTimeOffset? SourceTime,
    long? Sequence,
    string? MediaSessionId,
    string Dialect,
    bool Backfilled,
    DateTimeOffset ReceivedAt) : SourceEvent(ReceivedAt)
{
    /// <summary>Notifications dialect: the transcribed communication, which names the call's stored transcript.</summary>
    public string? CommunicationId { get; init; }
}

/// <summary>
/// Who a call is with, as the queue or agent topic that announced it said (Genesys' participants: the
/// queue, the agent's user id and name). Handed over just before the call's first event, so it names
/// the call in its <c>call_started</c>; absent in the media dialect.
/// </summary>
public sealed record CallAnnounced(string ConversationId, string? QueueId, string? AgentId, string? AgentName, DateTimeOffset ReceivedAt) : SourceEvent(ReceivedAt);

/// <summary>The source said a call's transcription ended (SESSION_ENDED, or the call disconnected).</summary>
public sealed record CallFinished(string ConversationId, string Reason, DateTimeOffset ReceivedAt) : SourceEvent(ReceivedAt);

/// <summary>
/// The source holds the call open (an AudioHook session is on it) and will say its end with <see cref="CallFinished"/>:
/// until then silence does not end it (a secure-pay pause can outlast the idle time).
/// </summary>
public sealed record CallHeld(string ConversationId, DateTimeOffset ReceivedAt) : SourceEvent(ReceivedAt);

/// <summary>
/// The socket carrying these calls was down from <see cref="From"/> until <see cref="SourceEvent.ReceivedAt"/>:
/// whatever was said then was not heard live.
/// </summary>
public sealed record SourceDisconnected(IReadOnlyList<string> ConversationIds, DateTimeOffset From, string Reason, DateTimeOffset ReceivedAt) : SourceEvent(ReceivedAt)
{
    /// <summary>The gap's detail when the socket was up but nothing could be heard (AudioHook: audio paused, discarded, not recognised).</summary>
    public string? Detail { get; init; }
}

/// <summary>A frame that could not be decoded, kept with the reason (raw text, capped; redacted before storing).</summary>
public sealed record MalformedFrame(string Raw, int Length, string Reason, DateTimeOffset ReceivedAt) : SourceEvent(ReceivedAt);
