namespace ComplianceRecorder.EventStore.Verification;

/// <summary>What one signing pass did: heads signed, heads of ours the store no longer holds, and the anchor it signed (if the store grew).</summary>
public sealed record SignPass(int Signed, IReadOnlyList<string> Refused, StoreAnchor? Anchor);
