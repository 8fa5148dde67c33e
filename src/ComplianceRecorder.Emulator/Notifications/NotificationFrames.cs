using System.Text.Json.Nodes;
using ComplianceRecorder.Emulator.Playback;

namespace ComplianceRecorder.Emulator.Notifications;

/// <summary>The Notifications API's messages as Genesys writes them (../shared/genesys/notifications-api.md).</summary>
internal static class NotificationFrames
{
    public static string Envelope(string topic, JsonObject body) =>
        new JsonObject { ["topicName"] = topic, ["version"] = "2", ["eventBody"] = body, ["metadata"] = new JsonObject { ["CorrelationId"] = Guid.NewGuid().ToString() } }.ToJsonString();

    public static JsonObject Entities(IEnumerable<string> topics) =>
        new() { ["entities"] = new JsonArray([.. topics.Select(t => (JsonNode)new JsonObject { ["id"] = t, ["state"] = "Permitted" })]) };

    public static string Heartbeat() => Envelope("channel.metadata", new JsonObject { ["message"] = "WebSocket Heartbeat" });

    public static string Pong() => Envelope("channel.metadata", new JsonObject { ["message"] = "pong" });

    /// <summary>A queue topic's conversation event: the customer, the queue (acd) and the agent, with userId and name when the call has one.</summary>
    public static JsonObject QueueEvent(string conversationId, string state, string queueId, ScriptedAgent? agent)
    {
        var agentParticipant = new JsonObject { ["purpose"] = "agent", ["queueId"] = queueId, ["calls"] = new JsonArray(new JsonObject { ["state"] = state }) };
        if (agent is not null)
        {
            agentParticipant["userId"] = agent.Id;
            agentParticipant["name"] = agent.Name;
        }
        return new()
        {
            ["id"] = conversationId,
            ["participants"] = new JsonArray(
                new JsonObject { ["purpose"] = "customer", ["calls"] = new JsonArray(new JsonObject { ["state"] = state }) },
                new JsonObject { ["purpose"] = "acd", ["queueId"] = queueId, ["calls"] = new JsonArray(new JsonObject { ["state"] = state }) },
                agentParticipant),
        };
    }

    public static JsonObject Transcript(string conversationId, string communicationId, Emission e, CallClock clock) => new()
    {
        ["eventTime"] = DateTimeOffset.UtcNow.ToString("O"),
        ["organizationId"] = "emulated-org",
        ["conversationId"] = conversationId,
        ["communicationId"] = communicationId,
        ["sessionStartTimeMs"] = clock.Start.ToUnixTimeMilliseconds(),
        ["transcriptionStartTimeMs"] = clock.Start.ToUnixTimeMilliseconds(),
        ["status"] = new JsonObject { ["offsetMs"] = clock.Real(e.OffsetMs), ["status"] = "SESSION_ONGOING" },
        ["transcripts"] = new JsonArray(new JsonObject
        {
            ["utteranceId"] = e.UtteranceId,
            ["isFinal"] = e.IsFinal,
            ["channel"] = e.Channel,
            ["alternatives"] = new JsonArray(new JsonObject
            {
                ["confidence"] = 0.9,
                ["offsetMs"] = clock.UtteranceOffset(e),
                ["durationMs"] = clock.Real(e.DurationMs),
                ["transcript"] = e.Text,
                ["decoratedTranscript"] = e.Text,
            }),
            ["engineProvider"] = "GENESYS",
            ["dialect"] = "en-US",
        }),
    };

    public static JsonObject SessionEnded(string conversationId, string communicationId, long offset) => new()
    {
        ["eventTime"] = DateTimeOffset.UtcNow.ToString("O"),
        ["conversationId"] = conversationId,
        ["communicationId"] = communicationId,
        ["status"] = new JsonObject { ["offsetMs"] = offset, ["status"] = "SESSION_ENDED" },
    };
}
