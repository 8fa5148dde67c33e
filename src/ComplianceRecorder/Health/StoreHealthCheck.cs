using ComplianceRecorder.EventStore.Appending;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ComplianceRecorder.Health;

/// <summary>Ready only while PostgreSQL answers a probe and appends are not failing.</summary>
internal sealed class StoreHealthCheck(StoreProbe probe, GroupCommitter committer) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var store = await probe.CheckAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!store.Reachable)
        {
            return HealthCheckResult.Unhealthy(store.Error);
        }
        return committer.Failing ? HealthCheckResult.Unhealthy("appends are failing") : HealthCheckResult.Healthy("reachable, appends succeed");
    }
}
