using System.Globalization;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Hosting;
using ComplianceRecorder.Pipeline.Events;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ComplianceRecorder.Web;

/// <summary>
/// Nothing is served unaudited: a report's or an export's access event must be durable before the first
/// byte. While appends are stalled that would hang every export, so past the bound the answer is 503 with
/// the reason instead. The event stays queued and is recorded when the store returns: an attempt is never
/// lost either.
/// </summary>
internal sealed class AccessAudit(GroupCommitter committer, IOptions<RecorderOptions> options, TimeProvider time)
{
    private readonly TimeSpan _bound = TimeSpan.FromSeconds(options.Value.ReportAccessTimeoutSeconds);

    /// <summary>True once the access is recorded; otherwise the 503 has been written and nothing may be served.</summary>
    public async Task<bool> RecordAsync(HttpContext ctx, string what, string query)
    {
        if (ctx.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested)
        {
            // an export begun now would be cut by the stop: it is neither recorded nor served
            ctx.Response.Headers.RetryAfter = "5";
            await TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The recorder is stopping", detail: "ask again once it has started")
                .ExecuteAsync(ctx).ConfigureAwait(false);
            return false;
        }
        var caller = Policies.CallerOf(ctx.User);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        bound.CancelAfter(_bound);
        string reason;
        try
        {
            var commit = await committer.EnqueueAsync(new ReportAccessed(caller.Name, what, query, time.GetUtcNow()), bound.Token).ConfigureAwait(false);
            var appended = await commit.WaitAsync(bound.Token).ConfigureAwait(false);
            if (appended.Refusal is null)
            {
                return true;
            }
            // recorded in its place as a refusal, which does not say who read what: not an audit record
            reason = "the access's audit event was refused by the store: " + appended.Refusal.Reason;
        }
        catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested)
        {
            reason = $"the event store did not commit this access's audit event within {_bound.TotalSeconds:0.#} s"
                + (committer.Failing ? ": appends are failing (PostgreSQL unreachable or refusing)" : ": appends are backed up");
        }
        catch (Exception e) when (e is InvalidOperationException or ConcurrencyException)
        {
            reason = "the access's audit event could not be recorded: " + e.Message;
        }
        ctx.Response.Headers.RetryAfter = ((int)Math.Ceiling(_bound.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The access could not be recorded, so nothing is served", detail: reason)
            .ExecuteAsync(ctx).ConfigureAwait(false);
        return false;
    }
}
