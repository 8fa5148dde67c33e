using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Recording;

/// <summary>What the recorder logs; never transcript text.</summary>
internal static partial class RecorderLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "A metrics window could not be recorded")]
    public static partial void WindowNotRecorded(ILogger log, Exception? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording stopped")]
    public static partial void RecordingStopped(ILogger log, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The pipeline did not drain within {Timeout}; stopping anyway")]
    public static partial void DrainTimedOut(ILogger log, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A live-captions subscriber threw and was unsubscribed")]
    public static partial void SubscriberFailed(ILogger log, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading other instances' captions from the store failed: {Error}")]
    public static partial void PeerCaptionsFailed(ILogger log, string error);
}
