using System.ComponentModel.DataAnnotations;

namespace ComplianceRecorder.Hosting;

/// <summary>
/// This recorder among several on one store (section <c>Recorder:Instance</c>, #15): its name, how calls are
/// shared, and its lease in the store. Validated when the host starts; a bad value names its key.
/// </summary>
public sealed class InstanceOptions : IValidatableObject
{
    public const string Section = "Recorder:Instance";

    public const string Single = "single";
    public const string ActiveActive = "active-active";
    public const string Partitioned = "partitioned";

    /// <summary>Unique among the instances on one store; empty: host name and process id. It is also the events' <c>writer</c>.</summary>
    [MaxLength(200, ErrorMessage = "Recorder:Instance:Name must be at most {1} characters")]
    public string? Name { get; set; }

    /// <summary>
    /// <c>single</c> (the default): the only recorder on its store, no membership, leases or fencing;
    /// <c>active-active</c>: an owner and a standby both follow each call; <c>partitioned</c>: one follows it.
    /// </summary>
    public string Mode { get; set; } = Single;

    /// <summary>How long the instance counts as alive after its last heartbeat; past it, another may take its calls.</summary>
    [Range(0.5, 300, ErrorMessage = "Recorder:Instance:LeaseSeconds must be a number from {1} to {2}")]
    public double LeaseSeconds { get; set; } = 3;

    [Range(0.1, 100, ErrorMessage = "Recorder:Instance:HeartbeatSeconds must be a number from {1} to {2}")]
    public double HeartbeatSeconds { get; set; } = 1;

    /// <summary>The name, or the one used when none is configured.</summary>
    public static string NameOrDefault(string? name) => string.IsNullOrWhiteSpace(name) ? $"{Environment.MachineName}:{Environment.ProcessId}" : name;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Mode is not (Single or ActiveActive or Partitioned))
        {
            yield return new ValidationResult($"Recorder:Instance:Mode must be {Single}, {ActiveActive} or {Partitioned}, not '{Mode}'", [nameof(Mode)]);
        }
        // two heartbeats fit in a lease, so one late heartbeat does not make a live instance look dead
        if (LeaseSeconds < 2 * HeartbeatSeconds)
        {
            yield return new ValidationResult($"Recorder:Instance:LeaseSeconds ({LeaseSeconds}) must be at least twice Recorder:Instance:HeartbeatSeconds ({HeartbeatSeconds})", [nameof(LeaseSeconds)]);
        }
        if (Name is { Length: > 0 } n && string.IsNullOrWhiteSpace(n))
        {
            yield return new ValidationResult("Recorder:Instance:Name must not be blank", [nameof(Name)]);
        }
    }
}
