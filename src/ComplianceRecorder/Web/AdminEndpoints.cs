using ComplianceRecorder.EventStore.Retention;
using ComplianceRecorder.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ComplianceRecorder.Web;

/// <summary>
/// Legal holds, erasure, customer tags and retention for the compliance-admin role. Each use is recorded as an
/// access event before anything is done (as a report's is); what is done is itself an event naming the caller.
/// A request the store refuses is 400 (bad input) or 409 (a shortening that would shred calls before their term).
/// </summary>
internal static class AdminEndpoints
{
    public sealed record HoldRequest(string Scope, string Target, string Reason);

    public sealed record LiftRequest(string Reason);

    public sealed record EraseRequest(string? Call, string? Customer, string Reason, string Ticket);

    public sealed record TagRequest(string Call, string Customer);

    public sealed record PolicyRequest(string? Queue, int Days);

    public static void Map(RouteGroupBuilder admins)
    {
        admins.MapGet("/api/admin/holds", (HttpContext ctx, AdminStore store, AccessAudit audit) =>
            ActAsync(ctx, audit, "holds", "", async (_, _) => await LegalHolds.ListAsync(store.Events.DataSource, ctx.RequestAborted).ConfigureAwait(false)))
            .WithSummary("The standing legal holds");
        admins.MapPost("/api/admin/holds", (HttpContext ctx, AdminStore store, AccessAudit audit, TimeProvider time, HoldRequest hold) =>
            ActAsync(ctx, audit, "hold place", $"{hold.Scope}={hold.Target}", async (who, ct) => await LegalHolds.PlaceAsync(store.Events, hold.Scope, hold.Target, hold.Reason, who, time.GetUtcNow(), ct).ConfigureAwait(false)))
            .WithSummary("Places a legal hold on a call, an agent or a queue");
        admins.MapPost("/api/admin/holds/{id}/lift", (HttpContext ctx, AdminStore store, AccessAudit audit, TimeProvider time, string id, LiftRequest lift) =>
            ActAsync(ctx, audit, "hold lift", id, async (who, ct) =>
            {
                await LegalHolds.LiftAsync(store.Events, id, lift.Reason, who, time.GetUtcNow(), ct).ConfigureAwait(false);
                return new { lifted = id };
            }))
            .WithSummary("Lifts a standing legal hold");
        admins.MapPost("/api/admin/erasures", (HttpContext ctx, AdminStore store, AccessAudit audit, TimeProvider time, EraseRequest erase) =>
            ActAsync(ctx, audit, "erase", $"{(erase.Call is null ? "customer" : "call=" + erase.Call)} ticket={erase.Ticket}", async (who, ct) =>
                await Erasure.EraseAsync(store.Events, new ErasureRequest(erase.Call, erase.Customer, erase.Reason, erase.Ticket, who), time.GetUtcNow(), ct).ConfigureAwait(false)))
            .WithSummary("Erases a call, or every call tagged with a customer identifier, except those under hold");
        admins.MapPost("/api/admin/customer-tags", (HttpContext ctx, AdminStore store, AccessAudit audit, TimeProvider time, TagRequest tag) =>
            ActAsync(ctx, audit, "tag-customer", "call=" + tag.Call, async (who, ct) =>
            {
                await Erasure.TagAsync(store.Events, tag.Call, tag.Customer, who, time.GetUtcNow(), ct).ConfigureAwait(false);
                return new { tagged = tag.Call };
            }))
            .WithSummary("Ties a call to a customer identifier (kept as its keyed hash)");
        admins.MapGet("/api/admin/retention", (HttpContext ctx, AdminStore store, AccessAudit audit) =>
            ActAsync(ctx, audit, "retention show", "", async (_, ct) => await RetentionPolicies.ListAsync(store.Events.DataSource, ct).ConfigureAwait(false)))
            .WithSummary("The retention policies in force");
        admins.MapPut("/api/admin/retention", (HttpContext ctx, AdminStore store, AccessAudit audit, TimeProvider time, PolicyRequest policy) =>
            ActAsync(ctx, audit, "retention set", $"queue={policy.Queue ?? "(default)"} days={policy.Days}", async (who, ct) =>
                await RetentionPolicies.SetAsync(store.Events, policy.Queue, policy.Days, who, time.GetUtcNow(), ct).ConfigureAwait(false)))
            .WithSummary("Sets a queue's retention policy, or the default; a shortening under kept calls is refused (409)");
        admins.MapPost("/api/admin/retention/run", (HttpContext ctx, AdminStore store, AccessAudit audit, TimeProvider time) =>
            ActAsync(ctx, audit, "retention run", "", async (_, ct) => await RetentionRun.ApplyAsync(store.Events, time.GetUtcNow(), ct).ConfigureAwait(false)))
            .WithSummary("Applies the retention policies now");
    }

    private static async Task ActAsync<T>(HttpContext ctx, AccessAudit audit, string what, string query, Func<string, CancellationToken, Task<T>> act)
    {
        if (!await audit.RecordAsync(ctx, "/api/admin: " + what, query).ConfigureAwait(false))
        {
            return;
        }
        IResult result;
        try
        {
            result = TypedResults.Ok(await act(Policies.CallerOf(ctx.User).Name, ctx.RequestAborted).ConfigureAwait(false));
        }
        catch (ArgumentException e)
        {
            result = TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Refused", detail: e.Message);
        }
        catch (RetentionShorteningRefusedException e)
        {
            result = TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Refused", detail: e.Message);
        }
        await result.ExecuteAsync(ctx).ConfigureAwait(false);
    }
}
