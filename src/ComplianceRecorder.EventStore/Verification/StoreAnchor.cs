namespace ComplianceRecorder.EventStore.Verification;

/// <summary>A signed count of the events at or below <c>MaxSeq</c>, chained onto the anchor before it.</summary>
public sealed record StoreAnchor(long MaxSeq, long Events, byte[] Signature)
{
    /// <summary>Enough of the signature for an operator's log to witness the newest anchor; it proves nothing without the key.</summary>
    public string SignaturePrefix => Convert.ToHexStringLower(Signature)[..16];
}
