using ComplianceRecorder.Pipeline.Events;

namespace ComplianceRecorder.EventStore.Appending;

/// <summary>An event to append, with the stream version the caller expects (null: any).</summary>
public readonly record struct PendingEvent(RecordedEvent Event, int? ExpectedVersion = null);
