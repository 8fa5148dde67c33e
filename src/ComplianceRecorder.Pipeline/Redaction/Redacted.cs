using ComplianceRecorder.Pipeline.Events;

namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>An event out of the redactor, with what the redactor could not settle yet.</summary>
public readonly record struct Redacted(RecordedEvent Event, bool Unsettled = false, RedactionResult? CorrectsPrevious = null);
