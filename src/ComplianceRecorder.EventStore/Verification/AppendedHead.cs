namespace ComplianceRecorder.EventStore.Verification;

/// <summary>A stream's head as this process appended it: the version and the hash the store gave it in the same transaction.</summary>
public sealed record AppendedHead(int Version, byte[] Hash);
