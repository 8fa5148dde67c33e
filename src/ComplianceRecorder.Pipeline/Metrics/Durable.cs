using ComplianceRecorder.Pipeline.Events;

namespace ComplianceRecorder.Pipeline.Metrics;

/// <summary>A recorded event once committed: its place in the store, when its commit was confirmed, and <c>Duplicate</c> when the store already held it (a redelivery, or another recorder).</summary>
public readonly record struct Durable(RecordedEvent Event, long Seq, DateTimeOffset DurableAt, bool Duplicate = false);
