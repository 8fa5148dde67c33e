using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ComplianceRecorder.Web;

/// <summary>
/// A response that streams (captions, an export) ends when its consumer leaves or the host begins to stop:
/// otherwise the web server's stop waits the whole shutdown timeout for a slow reader, holding up the drain
/// that commits what was heard. A cut export is a broken response, never a short one that looks whole.
/// </summary>
internal static class Stopping
{
    public static CancellationTokenSource Linked(HttpContext ctx) => CancellationTokenSource.CreateLinkedTokenSource(
        ctx.RequestAborted, ctx.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
}
