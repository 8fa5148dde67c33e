using System.Globalization;
using System.Text.Json;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Hosting;
using ComplianceRecorder.ReadSide;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ComplianceRecorder.Web;

/// <summary>
/// The console's JSON: the call list (filtered in the database), a call's timeline, metrics over time
/// (viewers), and for auditors a call's chain verified now, the signatures, and the access log, each of
/// those reads recorded as an access first, as reports are. A bad parameter is a 400 naming it.
/// </summary>
internal static class ConsoleEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(RouteGroupBuilder viewers, RouteGroupBuilder auditors)
    {
        viewers.MapGet("/api/console/me", (HttpContext ctx) =>
                TypedResults.Json(new { name = Policies.CallerOf(ctx.User).Name, role = ctx.User.IsInRole(Policies.AuditorRole) ? Policies.AuditorRole : Policies.ViewerRole }, Json))
            .WithSummary("Who the page is signed in as, and the role that shapes it");
        viewers.MapGet("/api/console/calls", CallsAsync).WithSummary("Calls with queue, agent, coverage, redactions and latency; filtered, searched and sorted");
        viewers.MapGet("/api/console/calls/{id}", TimelineAsync).WithSummary("A call's row, its heard, unheard and backfilled stretches, and its latency over time");
        viewers.MapGet("/api/console/metrics", MetricsAsync).WithSummary("Throughput and latency over time, segments by redaction type, gaps per hour");
        // a POST: it records an access, which a cross-site <img> or link must not be able to forge with a GET
        auditors.MapPost("/api/console/calls/{id}/verify", VerifyAsync).WithSummary("A call's hash chain and signed checkpoints, verified now");
        auditors.MapGet("/api/console/integrity", IntegrityAsync).WithSummary("The latest signed store anchor and each stream's latest signed checkpoint");
        auditors.MapGet("/api/console/access", AccessAsync).WithSummary("Who read which report or export, when, with what query");
    }

    private static async Task<IResult> CallsAsync(HttpContext ctx, [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, TimeProvider time, IOptions<RecorderOptions> options)
    {
        CallFilter filter;
        if (Repeated(ctx) is { } repeated)
        {
            return repeated;
        }
        try
        {
            filter = CallFilter.Parse(ctx.Request.Query.Select(q => new KeyValuePair<string, string?>(q.Key, q.Value.ToString())), time.GetUtcNow());
        }
        catch (ArgumentException e)
        {
            return TypedResults.BadRequest(new { error = e.Message });
        }
        return TypedResults.Json(await ConsoleCalls.ListAsync(db, filter with { AgentNames = options.Value.KeepAgentNames }, ctx.RequestAborted).ConfigureAwait(false), Json);
    }

    private static async Task<IResult> TimelineAsync(HttpContext ctx, [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, IOptions<RecorderOptions> options, string id) =>
        (Unknown(ctx, []) ?? TooLong(id)) is { } bad ? bad
        : await CallTimelines.ReadAsync(db, id, options.Value.KeepAgentNames, ctx.RequestAborted).ConfigureAwait(false) is { } timeline ? TypedResults.Json(timeline, Json)
        : TypedResults.NotFound(new { error = $"no call '{id}' is recorded" });

    private static async Task<IResult> MetricsAsync(HttpContext ctx, [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, TimeProvider time)
    {
        DateTimeOffset from, to;
        try
        {
            if (Unknown(ctx, ["from", "to"]) is { } bad)
            {
                return bad;
            }
            var givenTo = Report.ParseTime(ctx.Request.Query["to"], "to");
            to = givenTo ?? time.GetUtcNow();
            from = Report.ParseTime(ctx.Request.Query["from"], "from") ?? to.AddHours(-1);
            if (givenTo is null && from >= to)
            {
                throw new ArgumentException($"from '{from:O}' is not in the past (to defaults to now)");
            }
            if (to <= from)
            {
                throw new ArgumentException($"to '{to:O}' is not after from '{from:O}'");
            }
            if (to - from > TimeSpan.FromDays(31))
            {
                throw new ArgumentException("from and to are more than 31 days apart");
            }
        }
        catch (ArgumentException e)
        {
            return TypedResults.BadRequest(new { error = e.Message });
        }
        return TypedResults.Json(await ConsoleMetrics.ReadAsync(db, from, to, ctx.RequestAborted).ConfigureAwait(false), Json);
    }

    private static async Task VerifyAsync(HttpContext ctx, [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, AccessAudit audit, CheckpointKeys keys, IOptions<RecorderOptions> options, TimeProvider time, string id)
    {
        if ((Unknown(ctx, []) ?? TooLong(id)) is { } bad)
        {
            await bad.ExecuteAsync(ctx).ConfigureAwait(false);
            return;
        }
        if (!await audit.RecordAsync(ctx, $"/api/console/calls/{id}/verify", "").ConfigureAwait(false))
        {
            return;
        }
        var now = time.GetUtcNow();
        // as the verify verb: the recorder signs every interval and at stop, twice the interval leaves room for a slow tick
        var report = await ChainVerifier.VerifyStreamAsync(db, id, keys, now - 2 * TimeSpan.FromSeconds(options.Value.CheckpointSeconds), ctx.RequestAborted).ConfigureAwait(false);
        if (report.Events == 0)
        {
            await TypedResults.NotFound(new { error = $"no call '{id}' is recorded" }).ExecuteAsync(ctx).ConfigureAwait(false);
            return;
        }
        await TypedResults.Json(new
        {
            call = id,
            ok = report.Ok,
            events = report.Events,
            checkpoints = report.Checkpoints,
            signaturesChecked = report.SignaturesChecked,
            headVersion = report.HeadVersion,
            signedVersion = report.SignedVersion,
            // events past the last checkpoint are not proven yet: fine for a live call, a warning on the page
            signedToHead = report.SignedVersion >= report.HeadVersion,
            broken = report.Broken.Select(b => new { b.Version, b.Seq, b.Reason }),
            verifiedAt = now,
        }, Json).ExecuteAsync(ctx).ConfigureAwait(false);
    }

    private static Task IntegrityAsync(HttpContext ctx, [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, AccessAudit audit) =>
        LimitedAuditedAsync(ctx, audit, "/api/console/integrity", async (limit, ct) => await IntegrityStatus.ReadAsync(db, limit, ct).ConfigureAwait(false));

    private static Task AccessAsync(HttpContext ctx, [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, AccessAudit audit) =>
        LimitedAuditedAsync(ctx, audit, "/api/console/access", async (limit, ct) => await AccessLog.ReadAsync(db, limit, ct).ConfigureAwait(false));

    /// <summary>An auditor's read that takes only ?limit: checked, recorded as an access, then served as JSON.</summary>
    private static async Task LimitedAuditedAsync(HttpContext ctx, AccessAudit audit, string what, Func<int, CancellationToken, Task<object>> read)
    {
        if (!TryLimit(ctx, out var limit, out var bad))
        {
            await bad.ExecuteAsync(ctx).ConfigureAwait(false);
            return;
        }
        if (await audit.RecordAsync(ctx, what, $"limit={limit}").ConfigureAwait(false))
        {
            await TypedResults.Json(await read(limit, ctx.RequestAborted).ConfigureAwait(false), Json).ExecuteAsync(ctx).ConfigureAwait(false);
        }
    }

    private static bool TryLimit(HttpContext ctx, out int limit, out IResult bad)
    {
        limit = 500;
        bad = Unknown(ctx, ["limit"])!;
        if (bad is not null)
        {
            return false;
        }
        var raw = ctx.Request.Query["limit"].ToString();
        if (raw.Length > 0 && !(int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is > 0 and <= 5000))
        {
            bad = TypedResults.BadRequest(new { error = $"limit '{raw}' is not a whole number from 1 to 5000" });
            return false;
        }
        return true;
    }

    /// <summary>A 400 naming the first query parameter the route does not take, or one given twice, or null.</summary>
    private static IResult? Unknown(HttpContext ctx, string[] known) =>
        ctx.Request.Query.Keys.FirstOrDefault(k => !known.Contains(k, StringComparer.Ordinal)) is { } k
            ? TypedResults.BadRequest(new { error = $"unknown parameter '{k}'" + (known.Length > 0 ? $"; known: {string.Join(", ", known)}" : "; this route takes none") })
            : Repeated(ctx);

    /// <summary>A 400 naming a query parameter given more than once (queue=a&amp;queue=b is not a list, nor "a,b"), or null.</summary>
    private static IResult? Repeated(HttpContext ctx) =>
        ctx.Request.Query.FirstOrDefault(q => q.Value.Count > 1) is { Key: { } k } q
            ? TypedResults.BadRequest(new { error = $"{k} '{q.Value[0]}' is given {q.Value.Count} times; give it once" })
            : null;

    /// <summary>Call ids are GUIDs: a longer route value is refused before it reaches an access event.</summary>
    private const int MaxId = 200;

    private static IResult? TooLong(string id) =>
        id.Length > MaxId ? TypedResults.BadRequest(new { error = $"id is {id.Length} characters, longer than {MaxId}" }) : null;
}
