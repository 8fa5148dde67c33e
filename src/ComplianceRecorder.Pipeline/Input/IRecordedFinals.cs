namespace ComplianceRecorder.Pipeline.Input;

/// <summary>
/// The finals the store already holds for a call, whoever recorded them: a process killed mid-call, or
/// another recorder on the same call. Backfill must count them as heard, or it records them twice.
/// </summary>
public interface IRecordedFinals
{
    /// <summary>Each recorded final of the call with its channel, offset, duration and (redacted) text.</summary>
    Task<IReadOnlyList<TranscriptReceived>> FinalsAsync(string conversationId, CancellationToken ct);
}
