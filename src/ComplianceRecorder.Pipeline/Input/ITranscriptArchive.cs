namespace ComplianceRecorder.Pipeline.Input;

/// <summary>Where a call's transcript is kept once it is over (Genesys' transcripturl).</summary>
public interface ITranscriptArchive
{
    /// <summary>The stored utterances of one communication, as finals marked backfilled.</summary>
    Task<IReadOnlyList<TranscriptReceived>> FetchAsync(string conversationId, string communicationId, CancellationToken ct);
}
