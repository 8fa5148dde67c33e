namespace ComplianceRecorder.EventStore.Verification;

/// <summary>The first event whose stored hash does not match what its bytes and predecessor give.</summary>
public sealed record BrokenLink(string StreamId, int Version, long Seq, string Reason);
