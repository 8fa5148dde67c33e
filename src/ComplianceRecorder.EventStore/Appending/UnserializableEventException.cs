using ComplianceRecorder.Pipeline.Events;

namespace ComplianceRecorder.EventStore.Appending;

/// <summary>An event that cannot be written as JSON (a NaN, a value JSON cannot hold): its own content, never the store's state.</summary>
public sealed class UnserializableEventException(RecordedEvent e, Exception inner) : Exception($"a {e.Type} event cannot be serialized: {inner.Message}", inner);
