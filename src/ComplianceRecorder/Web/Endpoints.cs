using ComplianceRecorder.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;

namespace ComplianceRecorder.Web;

/// <summary>
/// The route table: health and metrics anonymous (no transcript, no call id, no secret), then the
/// viewer and auditor groups, each carrying its authorization policy, with the handlers by feature.
/// </summary>
internal static class Endpoints
{
    public static void Map(WebApplication app)
    {
        app.UseWebSockets();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(ComplianceRecorderServices.ReadyTag),
            ResponseWriter = HealthResponse.WriteAsync,
        }).AllowAnonymous();
        if (app.Services.GetService<Hosting.Telemetry.PrometheusScraping>() is not null)
        {
            app.MapPrometheusScrapingEndpoint().AllowAnonymous().ExcludeFromDescription();
        }

        var viewers = app.MapGroup("").RequireAuthorization(Policies.Viewer);
        var auditors = app.MapGroup("").RequireAuthorization(Policies.Auditor);
        app.MapOpenApi().RequireAuthorization(Policies.Auditor);
        PageEndpoints.Map(viewers);
        CaptionEndpoints.Map(viewers, auditors);
        ReportEndpoints.Map(auditors);
        ConsoleEndpoints.Map(viewers, auditors);
        AdminEndpoints.Map(app.MapGroup("").RequireAuthorization(Policies.ComplianceAdmin));
        AudioHookEndpoints.Map(app);
    }
}
