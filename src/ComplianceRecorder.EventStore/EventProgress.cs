namespace ComplianceRecorder.EventStore;

/// <summary>How far a pass over the events (rebuild, verify) has come: <see cref="Done"/> of <see cref="Total"/>, ending at Done == Total.</summary>
public readonly record struct EventProgress(long Done, long Total);
