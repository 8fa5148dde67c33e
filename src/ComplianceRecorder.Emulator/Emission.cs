namespace ComplianceRecorder.Emulator;

/// <summary>One message the transcription engine would send: a partial or a final of an utterance.</summary>
public sealed record Emission(long AtMs, string Channel, string UtteranceId, bool IsFinal, string Text, long OffsetMs, long DurationMs);
