using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.EventStore;

/// <summary>
/// What the store's writers log. Counts, stream ids, event types, SqlStates and PostgreSQL's message
/// text (which Npgsql keeps free of the values): never an event's content.
/// </summary>
internal static partial class EventStoreLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Append of {Count} events failed, retrying in {Delay} ms: {Error}")]
    public static partial void AppendRetrying(ILogger log, int count, double delay, string error);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Append of {Count} events failed and cannot succeed as configured: {Error}")]
    public static partial void AppendFatal(ILogger log, int count, string error);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "The store refused a {Type} event of stream {Stream} ({SqlState}): {Reason}; it is recorded as refused and recording goes on")]
    public static partial void Refused(ILogger log, string type, string stream, string? sqlState, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "The store was unreachable at the stop deadline: {Count} events spilled to {Path}; the next start appends them first")]
    public static partial void Spilled(ILogger log, int count, string path);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "The store was unreachable at the stop deadline and the spill file could not be written: {Count} events lost: {Error}")]
    public static partial void SpillFailed(ILogger log, int count, string error);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Projection daemon leads '{Projection}'")]
    public static partial void ProjectionLeads(ILogger log, string projection);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Projection step failed, retrying: {Error}")]
    public static partial void ProjectionStepFailed(ILogger log, string error);
}
