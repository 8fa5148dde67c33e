using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Pipeline.Tracking;

/// <summary>A transcript that passed the tracker, with the revision number of its utterance.</summary>
public sealed record TrackedTranscript(TranscriptReceived Transcript, int Revision);
