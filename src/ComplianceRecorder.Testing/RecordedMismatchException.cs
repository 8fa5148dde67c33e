namespace ComplianceRecorder.Testing;

/// <summary>Recorded notifications were not the expected ones; the message is a diff of the two.</summary>
public sealed class RecordedMismatchException(string message) : Exception(message);
