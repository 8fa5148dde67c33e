using System.ComponentModel.DataAnnotations;

namespace ComplianceRecorder.Hosting;

/// <summary>
/// The recorder's own settings (section <c>Recorder</c>), bound from configuration and validated when the
/// host starts; each default lives here and nowhere else. A value out of range fails the start naming its key.
/// </summary>
public sealed class RecorderOptions
{
    public const string Section = "Recorder";

    /// <summary>Where the web endpoints listen (the standalone host; an embedding host listens where it likes).</summary>
    [Url(ErrorMessage = "Recorder:Url must be an absolute http or https URL")]
    public string Url { get; set; } = "http://127.0.0.1:5080";

    [Range(1, 3600, ErrorMessage = "Recorder:MetricsWindowSeconds must be a number from {1} to {2}")]
    public int MetricsWindowSeconds { get; set; } = 10;

    [Range(0, 60_000, ErrorMessage = "Recorder:HoldUnsettledMs must be a number from {1} to {2}")]
    public int HoldUnsettledMs { get; set; } = 2000;

    /// <summary>Keep the agents' own names in the record (issue 18); off, every person's name is redacted.</summary>
    public bool KeepAgentNames { get; set; }

    /// <summary>Keep a card's last four digits where they are said alone to name the card (PCI DSS allows it); off, they are masked.</summary>
    public bool KeepCardLastFour { get; set; }

    [Range(1, 86_400, ErrorMessage = "Recorder:CallIdleSeconds must be a number from {1} to {2}")]
    public int CallIdleSeconds { get; set; } = 300;

    [Range(1, 86_400, ErrorMessage = "Recorder:CheckpointSeconds must be a number from {1} to {2}")]
    public int CheckpointSeconds { get; set; } = 60;

    [Range(1, 3600, ErrorMessage = "Recorder:SummarySeconds must be a number from {1} to {2}")]
    public int SummarySeconds { get; set; } = 10;

    [Range(0.1, 300, ErrorMessage = "Recorder:ReportAccessTimeoutSeconds must be a number from {1} to {2}")]
    public double ReportAccessTimeoutSeconds { get; set; } = 5;

    /// <summary>How long a stop waits for the pipeline to drain what it holds before it commits.</summary>
    [Range(0.1, 600, ErrorMessage = "Recorder:DrainSeconds must be a number from {1} to {2}")]
    public double DrainSeconds { get; set; } = 10;

    /// <summary>How long a stop gives the store to take what is queued before it is spilled.</summary>
    [Range(0.1, 600, ErrorMessage = "Recorder:CommitSeconds must be a number from {1} to {2}")]
    public double CommitSeconds { get; set; } = 5;

    /// <summary>Batches committed at once, each on its own connection; every call's events stay on one of them, in order.</summary>
    [Range(1, 16, ErrorMessage = "Recorder:CommitConnections must be a number from {1} to {2}")]
    public int CommitConnections { get; set; } = 1;

    /// <summary>The standalone host's bound on its whole stop (<c>HostOptions.ShutdownTimeout</c>); an embedding host sets its own.</summary>
    [Range(1, 3600, ErrorMessage = "Recorder:ShutdownSeconds must be a number from {1} to {2}")]
    public int ShutdownSeconds { get; set; } = 30;

    /// <summary>Where what the store could not take by the stop deadline is spilled; empty: <c>.data/spill</c>.</summary>
    public string? SpillDirectory { get; set; }

    /// <summary>The private cluster's data folder when no connection string is set; empty: <c>.data/postgres</c>.</summary>
    public string? DataDirectory { get; set; }
}
