using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Genesys.AudioHook;

/// <summary>What the AudioHook intake logs: ids, codes, counts and times; never audio, text, a key or a signature.</summary>
internal static partial class AudioHookLog
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "AudioHook upgrade refused: {Reason}")]
    public static partial void Refused(ILogger log, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "AudioHook session {Session} opened for call {Call} ({Channels}) in {Ms:F1} ms")]
    public static partial void Opened(ILogger log, string session, string call, string channels, double ms);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "AudioHook connection probe {Session} answered")]
    public static partial void Probe(ILogger log, string session);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "AudioHook session {Session}: {Problem}; disconnecting")]
    public static partial void ProtocolError(ILogger log, string session, string problem);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "AudioHook session {Session} of call {Call} closed ({Reason})")]
    public static partial void Closed(ILogger log, string session, string call, string reason);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Information, Message = "Call {Call} {Channel}: {Audio:F1} s of audio recognised in {Busy:F1} s (real-time factor {Factor:F2})")]
    public static partial void ChannelRecognised(ILogger log, string call, string channel, double audio, double busy, double factor);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Error, Message = "Call {Call} {Channel}: the recognizer failed ({Reason}); the rest of the channel is recorded as not recognised")]
    public static partial void RecognizerFailed(ILogger log, string call, string channel, string reason);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Warning, Message = "AudioHook session {Session}: position {Position:F2} s is {Drift:F2} s from the samples received")]
    public static partial void PositionDrift(ILogger log, string session, double position, double drift);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Warning, Message = "AudioHook session {Session}: Genesys reported error {Code}")]
    public static partial void ClientError(ILogger log, string session, int code);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Warning, Message = "AudioHook session {Session} of call {Call} ended without a close: {Reason}")]
    public static partial void Dropped(ILogger log, string session, string call, string reason);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Error, Message = "AudioHook session {Session} failed ({Error}); disconnecting, and its call's recording ends with a gap")]
    public static partial void SessionFailed(ILogger log, string session, string error);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Warning, Message = "Call {Call} {Channel}: the recognizer's stream could not be released ({Reason})")]
    public static partial void StreamNotReleased(ILogger log, string call, string channel, string reason);
}
