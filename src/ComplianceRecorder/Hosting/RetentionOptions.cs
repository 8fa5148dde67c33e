using System.ComponentModel.DataAnnotations;

namespace ComplianceRecorder.Hosting;

/// <summary>The retention job's settings (section <c>Retention</c>); the policies themselves are events in the store (<c>retention set</c>).</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Whether this recorder applies the retention policies itself (one recorder of several is enough).</summary>
    public bool Enabled { get; set; } = true;

    [Range(1, 10_080, ErrorMessage = "Retention:IntervalMinutes must be a number from {1} to {2}")]
    public int IntervalMinutes { get; set; } = 60;
}
