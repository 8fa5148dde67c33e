namespace ComplianceRecorder.EventStore.Verification;

/// <summary>
/// What verify found. <c>SignaturesChecked</c> is false when no key set was given: the chains, the
/// checkpoints' structure and the projections were checked, the signatures were not.
/// </summary>
public sealed record VerifyReport(long Streams, long Events, IReadOnlyList<BrokenLink> Broken, int CheckpointsBroken = 0)
{
    public bool Ok => Broken.Count == 0 && Projections.Count == 0;

    public bool SignaturesChecked { get; init; }

    public long Checkpoints { get; init; }

    public IReadOnlyList<ProjectionMismatch> Projections { get; init; } = [];

    /// <summary>One stream's verify: its last event's version (0 for the full verify).</summary>
    public int HeadVersion { get; init; }

    /// <summary>One stream's verify: the version its newest signed checkpoint covers (0 when none).</summary>
    public int SignedVersion { get; init; }
}
