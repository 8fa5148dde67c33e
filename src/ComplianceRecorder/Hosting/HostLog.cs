using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Hosting;

/// <summary>What the host's parts log; never transcript text, never a secret.</summary>
internal static partial class HostLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Migrations applied: {Migrations}")]
    public static partial void MigrationsApplied(ILogger log, string migrations);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resuming {Calls} calls the last run did not finish; the time unheard is recorded as a gap on each")]
    public static partial void Resuming(ILogger log, int calls);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Appended {Count} events spilled by an earlier stop from {File} ({Duplicates} were already recorded)")]
    public static partial void SpillReplayed(ILogger log, int count, string file, int duplicates);

    [LoggerMessage(Level = LogLevel.Error, Message = "Spill file {File} line {Line} holds no readable event ({Reason}); it is recorded as refused and the rest of the file is appended")]
    public static partial void SpillLineUnreadable(ILogger log, string file, int line, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spill file with unreadable lines kept aside as {File}; it is not replayed again")]
    public static partial void SpillSetAside(ILogger log, string file);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Signed {Count} stream heads with key {KeyId}")]
    public static partial void HeadsSigned(ILogger log, int count, string keyId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream {StreamId} no longer holds the head this recorder appended; not signed, `verify` reports it")]
    public static partial void HeadNotOurs(ILogger log, string streamId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Store anchored: {Events} events up to seq {MaxSeq}, signature {SignaturePrefix}")]
    public static partial void StoreAnchored(ILogger log, long events, long maxSeq, string signaturePrefix);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing checkpoints failed: {Error}")]
    public static partial void SigningFailed(ILogger log, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing checkpoints was cut short; heads left unsigned are signed by the next pass or the next start")]
    public static partial void SigningCutShort(ILogger log);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Projections wait for the store: {Error}")]
    public static partial void ProjectionLost(ILogger log, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopping what a failed start began failed too")]
    public static partial void StopAfterFailedStartFailed(ILogger log, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Joined the store as instance {Name} (generation {Generation}, {Mode})")]
    public static partial void InstanceJoined(ILogger log, string name, long generation, string mode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance heartbeat failed: {Error}")]
    public static partial void HeartbeatFailed(ILogger log, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Instance {Name} generation {Generation} was declared lapsed by another instance, which took its calls over: stopping, writing nothing more")]
    public static partial void InstanceLapsed(ILogger log, string name, long generation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handed {Handed} of {Following} calls to other instances before stopping")]
    public static partial void HandedOver(ILogger log, int handed, int following);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Taking over call {ConversationId} (owner {Owner}, standby {Standby}); unheard since {GapFrom}")]
    public static partial void TakingOver(ILogger log, string conversationId, string? owner, string? standby, DateTimeOffset? gapFrom);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Taking over calls failed: {Error}")]
    public static partial void TakeOverFailed(ILogger log, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Of {Open} open calls this instance holds {Own}, {Gaps} unheard for a while: {Claims}")]
    public static partial void ResumedOwn(ILogger log, int own, int open, int gaps, string claims);
}
