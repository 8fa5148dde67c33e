using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Projections;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ComplianceRecorder.Health;

/// <summary>
/// Not ready when the commit backlog passes 80% of its bound: past it the socket reader is about to be
/// held back. The projection daemon's lag is reported beside it; it does not stop recording.
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
        };
        var keepingUp = committer.Backlog < committer.Capacity * 8 / 10;
        return Task.FromResult(keepingUp
            ? HealthCheckResult.Healthy("keeping up", data)
            : HealthCheckResult.Unhealthy("the commit backlog passed 80% of its bound", data: data));
    }
}
