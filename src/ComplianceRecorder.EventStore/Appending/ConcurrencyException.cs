namespace ComplianceRecorder.EventStore.Appending;

/// <summary>The stream was not at the version the caller expected.</summary>
public sealed class ConcurrencyException(string message, Exception inner) : Exception(message, inner);
