using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Web;

/// <summary>The web surface's settings, validated at start; each default lives here.</summary>
internal sealed record WebOptions(TimeSpan ReportAccessTimeout, TimeSpan SessionLifetime)
{
    public static WebOptions From(IConfiguration config) => new(
        TimeSpan.FromSeconds(Settings.Number(config, "Recorder:ReportAccessTimeoutSeconds", 5.0, 0.1, 300)),
        TimeSpan.FromHours(Settings.Number(config, "Auth:SessionHours", 12.0, 0.01, 720)));
}
