using System.Text.Json.Nodes;

namespace ComplianceRecorder.Genesys.Notifications;

/// <summary>Topic names as the Notifications API spells them, and the body that subscribes to them.</summary>
internal static class Topics
{
    public static string Transcription(string conversationId) => $"v2.conversations.{conversationId}.transcription";

    public static string Queue(string queueId) => $"v2.routing.queues.{queueId}.conversations";

    public static string User(string userId) => $"v2.users.{userId}.conversations";

    public static string Subscriptions(string channelId) => $"/api/v2/notifications/channels/{channelId}/subscriptions";

    public static JsonArray Body(IEnumerable<string> topics) => [.. topics.Select(t => (JsonNode)new JsonObject { ["id"] = t })];
}
