using System.Text.Json;
using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Genesys;

/// <summary>A call announced or ended on a queue topic: the client follows it. Queue and agent as its participants name them, when they do.</summary>
internal sealed record QueueCallChanged(string ConversationId, bool Disconnected, DateTimeOffset ReceivedAt) : SourceEvent(ReceivedAt)
{
    public string? QueueId { get; init; }

    public string? AgentId { get; init; }

    public string? AgentName { get; init; }
}

/// <summary>The channel heartbeat, or the service's warning that it will close the socket.</summary>
internal sealed record ChannelNotice(string Topic, string Message, DateTimeOffset ReceivedAt) : SourceEvent(ReceivedAt);

/// <summary>A message on a topic of a shape this client does not follow.</summary>
internal sealed record UnknownTopic(string Topic, DateTimeOffset ReceivedAt) : SourceEvent(ReceivedAt);

/// <summary>
/// Decodes one socket message of the Notifications API. Bad input becomes a <see cref="MalformedFrame"/>
/// value with its reason, never an exception that would tear the stream down.
/// </summary>
public static class NotificationDecoder
{
    private const int RawCap = 8192;

    public static List<SourceEvent> Decode(string frame, DateTimeOffset now)
    {
        var result = new List<SourceEvent>(2);
        try
        {
            using var doc = JsonDocument.Parse(frame, new JsonDocumentOptions { MaxDepth = 32 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("topicName", out var topicEl) || topicEl.ValueKind != JsonValueKind.String)
            {
                result.Add(Malformed(frame, "not a notification envelope (no topicName)", now));
                return result;
            }
            var topic = topicEl.GetString()!;
            if (!root.TryGetProperty("eventBody", out var body) || body.ValueKind != JsonValueKind.Object)
            {
                result.Add(Malformed(frame, "eventBody missing or not an object", now));
                return result;
            }
            if (IsTopic(topic, "v2.conversations.", ".transcription"))
            {
                DecodeTranscription(topic, body, now, result);
            }
            else if (IsTopic(topic, "v2.routing.queues.", ".conversations") || IsTopic(topic, "v2.users.", ".conversations"))
            {
                if (!body.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String)
                {
                    result.Add(Malformed(frame, $"a conversation event on {topic} without a conversation id", now));
                    return result;
                }
                result.Add(WithParticipants(new QueueCallChanged(id.GetString()!, AllDisconnected(body), now), body));
            }
            else if (topic == "channel.metadata")
            {
                var message = body.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
                result.Add(new ChannelNotice(topic, message, now));
            }
            else
            {
                // a topic this client never asked for (presence, queue membership, …): counted and ignored, never a call
                result.Add(new UnknownTopic(topic, now));
            }
        }
        // the decoder's promise is to never throw: whatever a frame does to the reader, it becomes a value
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            result.Clear();
            result.Add(Malformed(frame, e.GetType().Name + ": " + e.Message, now));
        }
        return result;
    }

    private static void DecodeTranscription(string topic, JsonElement body, DateTimeOffset now, List<SourceEvent> result)
    {
        var conversationId = body.TryGetProperty("conversationId", out var c) ? c.GetString()! : topic["v2.conversations.".Length..^".transcription".Length];
        var communicationId = body.TryGetProperty("communicationId", out var comm) && comm.ValueKind == JsonValueKind.String ? comm.GetString() : null;
        var sessionStart = body.TryGetProperty("sessionStartTimeMs", out var s) && s.ValueKind == JsonValueKind.Number ? DateTimeOffset.FromUnixTimeMilliseconds(s.GetInt64()) : (DateTimeOffset?)null;
        var hasTranscripts = body.TryGetProperty("transcripts", out var transcripts) && transcripts.ValueKind == JsonValueKind.Array;
        if (!hasTranscripts && !(body.TryGetProperty("status", out var st0) && st0.ValueKind == JsonValueKind.Object))
        {
            // a status-only message (SESSION_ONGOING) is nothing to record; a body with neither is broken
            throw new FormatException("a transcription message with neither transcripts nor status");
        }
        if (hasTranscripts)
        {
            foreach (var t in transcripts.EnumerateArray())
            {
                var alternatives = t.GetProperty("alternatives");
                if (alternatives.GetArrayLength() == 0)
                {
                    throw new FormatException("a transcript without alternatives");
                }
                var alt = alternatives[0];
                var offset = alt.GetProperty("offsetMs").GetInt64();
                var duration = alt.TryGetProperty("durationMs", out var d) ? d.GetInt64() : 0;
                // the end of the utterance on the source's clock: latency is measured from there
                DateTimeOffset? sourceTime = sessionStart is { } ss ? ss.AddMilliseconds(offset + duration) : null;
                result.Add(new TranscriptReceived(
                    conversationId, t.GetProperty("channel").GetString()!, t.GetProperty("utteranceId").GetString()!,
                    t.GetProperty("isFinal").GetBoolean(), alt.GetProperty("transcript").GetString()!, offset, duration,
                    sourceTime, null, null, "notifications", false, now)
                { CommunicationId = communicationId });
            }
        }
        if (body.TryGetProperty("status", out var status) && status.TryGetProperty("status", out var st) && st.GetString() == "SESSION_ENDED")
        {
            result.Add(new CallFinished(conversationId, "SESSION_ENDED", now));
        }
    }

    /// <summary>
    /// Whether a topic has exactly the shape prefix + id + suffix, the id holding no dot. Routing by
    /// prefix alone took v2.users.{id}.presence for a conversation topic.
    /// </summary>
    internal static bool IsTopic(string topic, string prefix, string suffix)
    {
        var span = topic.AsSpan();
        if (span.Length <= prefix.Length + suffix.Length || !span.StartsWith(prefix, StringComparison.Ordinal) || !span.EndsWith(suffix, StringComparison.Ordinal))
        {
            return false;
        }
        return !span[prefix.Length..^suffix.Length].Contains('.');
    }

    /// <summary>
    /// The connected agent participant's userId and name, together (a transfer leaves the first agent's participant
    /// disconnected beside the second's: mixing fields would name two people), and its queueId, else the queue of the
    /// acd (or any) participant. Each is optional: a call still in the queue has no agent yet, and a field of another
    /// type is left out.
    /// </summary>
    private static QueueCallChanged WithParticipants(QueueCallChanged q, JsonElement body)
    {
        if (!body.TryGetProperty("participants", out var ps) || ps.ValueKind != JsonValueKind.Array)
        {
            return q;
        }
        foreach (var p in ps.EnumerateArray())
        {
            if (p.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            var queue = Text(p, "queueId");
            if (Text(p, "purpose") == "agent" && Connected(p))
            {
                q = q with { AgentId = Text(p, "userId"), AgentName = Text(p, "name"), QueueId = queue ?? q.QueueId };
            }
            else if (q.QueueId is null)
            {
                q = q with { QueueId = queue };
            }
        }
        return q;
    }

    private static bool Connected(JsonElement p)
    {
        if (!p.TryGetProperty("calls", out var calls) || calls.ValueKind != JsonValueKind.Array)
        {
            return false;
        }
        foreach (var call in calls.EnumerateArray())
        {
            if (call.ValueKind == JsonValueKind.Object && Text(call, "state") == "connected")
            {
                return true;
            }
        }
        return false;
    }

    private static string? Text(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 and <= 200 } s ? s : null;

    private static bool AllDisconnected(JsonElement body)
    {
        if (!body.TryGetProperty("participants", out var ps))
        {
            return false;
        }
        foreach (var p in ps.EnumerateArray())
        {
            if (p.TryGetProperty("calls", out var calls))
            {
                foreach (var call in calls.EnumerateArray())
                {
                    if (call.TryGetProperty("state", out var state) && state.GetString() != "disconnected" && state.GetString() != "terminated")
                    {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    private static MalformedFrame Malformed(string frame, string reason, DateTimeOffset now) =>
        new(frame.Length > RawCap ? frame[..RawCap] : frame, frame.Length, reason, now);
}
