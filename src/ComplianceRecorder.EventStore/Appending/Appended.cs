using ComplianceRecorder.Pipeline.Events;

namespace ComplianceRecorder.EventStore.Appending;

/// <summary>
/// Where an appended event landed. <c>Duplicate</c>: its source key was already recorded, so nothing new was written.
/// <c>Refusal</c>: the store refused the event for its content; this record was appended in its place (at <c>Seq</c>).
/// </summary>
public readonly record struct Appended(string StreamId, int Version, long Seq, bool Duplicate, EventRefused? Refusal = null);
