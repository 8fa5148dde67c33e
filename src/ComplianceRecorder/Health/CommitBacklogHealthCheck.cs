using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Projections;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ComplianceRecorder.Health;

/// <summary>
/// Not ready when the commit backlog, or one commit connection's queue, passes 80% of its bound: past it the
/// socket reader is about to be held back. The projection daemon's lag is reported beside it; it does not stop recording.
/// </summary>
internal sealed class CommitBacklogHealthCheck(GroupCommitter committer, ProjectionDaemon daemon) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["backlog"] = committer.Backlog,
            ["capacity"] = committer.Capacity,
            ["projectionLag"] = daemon.Lag,
            ["fullestQueue"] = Math.Round(committer.FullestQueue, 3),
        };
        return Task.FromResult(
            committer.Backlog >= committer.Capacity * 8 / 10 ? HealthCheckResult.Unhealthy("the commit backlog passed 80% of its bound", data: data)
            : committer.FullestQueue >= 0.8 ? HealthCheckResult.Unhealthy("a commit connection's queue passed 80% of its bound", data: data)
            : HealthCheckResult.Healthy("keeping up", data));
    }
}
