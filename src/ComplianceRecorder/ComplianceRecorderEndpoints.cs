using ComplianceRecorder.Web;
using Microsoft.AspNetCore.Builder;

namespace ComplianceRecorder;

/// <summary>The recorder's HTTP surface on a host that called <c>AddComplianceRecorder</c>.</summary>
public static class ComplianceRecorderEndpoints
{
    /// <summary>
    /// The live page, captions (SSE, WebSocket, WebVTT), reports and exports, OpenAPI and health
    /// (/health/live, /health/ready). API-key authentication and the viewer and auditor policies are
    /// attached to the route groups; a route that names no policy is auditor-only.
    /// </summary>
    public static WebApplication MapComplianceRecorder(this WebApplication app)
    {
        Endpoints.Map(app);
        return app;
    }
}
