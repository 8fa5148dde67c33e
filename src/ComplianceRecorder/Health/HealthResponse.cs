using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ComplianceRecorder.Health;

/// <summary>/health/ready's body: the verdict, and each check's status, reason and numbers (no secrets, no call ids).</summary>
internal static class HealthResponse
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task WriteAsync(HttpContext ctx, HealthReport report)
    {
        var body = new
        {
            status = report.Status == HealthStatus.Unhealthy ? "not ready" : "ready",
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString().ToLowerInvariant(),
                description = e.Value.Description,
                data = e.Value.Data.Count == 0 ? null : e.Value.Data,
            }),
        };
        ctx.Response.ContentType = "application/json; charset=utf-8";
        return ctx.Response.WriteAsJsonAsync(body, Json, ctx.RequestAborted);
    }
}
