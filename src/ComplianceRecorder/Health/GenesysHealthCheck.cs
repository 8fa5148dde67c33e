using ComplianceRecorder.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ComplianceRecorder.Health;

/// <summary>Ready only while every Genesys socket the recording needs is open.</summary>
internal sealed class GenesysHealthCheck(RecordingSession recording) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(recording.Source switch
        {
            null => HealthCheckResult.Unhealthy("the recording has not started"),
            { Connected: true } => HealthCheckResult.Healthy("connected"),
            _ => HealthCheckResult.Unhealthy("a Genesys socket is down"),
        });
}
