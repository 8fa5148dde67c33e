using ComplianceRecorder.EventStore.Projections;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ComplianceRecorder.Health;

/// <summary>
/// Degraded, not unready, while the metrics projection keeps failing at one checkpoint: recording goes on
/// and a load balancer must not take the instance out, but whoever watches readiness sees which event
/// the projection is stuck behind and why, instead of a warning repeated in a log every two seconds.
/// </summary>
internal sealed class ProjectionHealthCheck(ProjectionDaemon daemon) : IHealthCheck
{
    /// <summary>One failure is the store blinking; this many in a row at the same checkpoint is a row the projection cannot take.</summary>
    public const int Stuck = 3;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (daemon.Fault is not { Attempts: >= Stuck } fault)
        {
            return Task.FromResult(HealthCheckResult.Healthy("projecting", new Dictionary<string, object> { ["lag"] = daemon.Lag }));
        }
        var data = new Dictionary<string, object>
        {
            ["checkpoint"] = fault.Checkpoint,
            ["attempts"] = fault.Attempts,
            ["since"] = fault.Since,
            ["error"] = fault.Kind,
        };
        return Task.FromResult(HealthCheckResult.Degraded(
            $"the metrics projection has failed {fault.Attempts} times in a row after seq {fault.Checkpoint} ({fault.Kind}); recording goes on, metrics reports stop there", data: data));
    }
}
