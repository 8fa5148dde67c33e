using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Genesys;

/// <summary>
/// What the Genesys client logs. Ids, counts and error messages only: never transcript text, never a
/// token or a secret.
/// </summary>
internal static partial class GenesysLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Genesys channel {Index} ({Channel}) connected, following {Calls} calls")]
    public static partial void ChannelConnected(ILogger log, int index, string channel, int calls);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Genesys channel {Index} down ({Reason}); reconnecting in {Delay} ms")]
    public static partial void ChannelDown(ILogger log, int index, string reason, double delay);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Genesys channel {Index} ({Channel}) has expired; opening a new one")]
    public static partial void ChannelExpired(ILogger log, int index, string channel);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Opening Genesys channel {Index}: the others carry {Topics} topics")]
    public static partial void OpeningChannel(ILogger log, int index, int topics);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "Cannot follow call {Call}: all {Channels} channels carry {Topics} topics")]
    public static partial void CannotFollow(ILogger log, string call, int channels, int topics);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Call {Call} was subscribed {Seconds:F1} s after it was found")]
    public static partial void SubscribedLate(ILogger log, string call, double seconds);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Changing the subscriptions of channel {Index} failed ({Reason}); trying again")]
    public static partial void ChangeFailedRetrying(ILogger log, int index, string reason);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Changing the subscriptions of channel {Index} failed ({Reason}); its reconnect will put them again")]
    public static partial void ChangeFailedLeftToReconnect(ILogger log, int index, string reason);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Transcription activated for a media session")]
    public static partial void MediaActivated(ILogger log);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Media socket down ({Reason}); reconnecting in {Delay} ms")]
    public static partial void MediaSocketDown(ILogger log, string reason, double delay);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Backfill: the stored transcript of call {Call} holds {Phrases} phrases")]
    public static partial void BackfillFetched(ILogger log, string call, int phrases);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Backfill of call {Call} failed ({Reason}); its gaps stay as recorded")]
    public static partial void BackfillFailed(ILogger log, string call, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ask the store who follows call {ConversationId} ({Error}); following it here")]
    public static partial void ClaimFailed(ILogger log, string conversationId, string error);
}
