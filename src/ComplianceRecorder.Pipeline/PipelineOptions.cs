namespace ComplianceRecorder.Pipeline;

/// <summary>The pipeline's timing and size limits.</summary>
public sealed record PipelineOptions
{
    /// <summary>A call's group ends after this long with nothing heard, so memory does not grow with every call ever seen.</summary>
    public TimeSpan CallIdle { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Offsets may jump this far between consecutive finals before it counts as a coverage gap.</summary>
    public TimeSpan OffsetTolerance { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Media dialect: how many messages may arrive ahead of a missing one before it is declared lost.</summary>
    public int ReorderWindow { get; init; } = 8;

    /// <summary>How long a final ending in an unsettled number waits for the speaker's next final.</summary>
    public TimeSpan HoldUnsettled { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Latency and throughput windows, by event time.</summary>
    public TimeSpan MetricsWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How each call is redacted where that is a choice (agents' names kept or not).</summary>
    public Redaction.RedactionOptions Redaction { get; init; } = new();

    /// <summary>Quarantined frames are kept up to this many characters.</summary>
    public int QuarantineCap { get; init; } = 4096;
}
