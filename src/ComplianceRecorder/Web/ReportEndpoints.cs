using System.Text;
using ComplianceRecorder.ReadSide;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ComplianceRecorder.Web;

/// <summary>The projections as csv, jsonl or json, streamed row by row, each access recorded first.</summary>
internal static class ReportEndpoints
{
    public static void Map(RouteGroupBuilder auditors)
    {
        foreach (var kind in ReportRequest.Kinds)
        {
            auditors.MapGet($"/api/reports/{kind}", (HttpContext ctx, [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, AccessAudit audit, string? call, string? from, string? to, string? flag, string? format) =>
                WriteAsync(ctx, db, audit, kind, call, from, to, flag, format)).WithSummary($"The {kind} projection as csv, jsonl or json, streamed");
        }
    }

    private static async Task WriteAsync(HttpContext ctx, NpgsqlDataSource db, AccessAudit audit, string kind, string? call, string? from, string? to, string? flag, string? format)
    {
        ReportRequest request;
        ReportFormat fmt;
        try
        {
            request = new ReportRequest(kind, call, Report.ParseTime(from, "from"), Report.ParseTime(to, "to"), flag);
            fmt = Report.ParseFormat(format, ReportFormat.Jsonl);
            if (fmt == ReportFormat.Table)
            {
                throw new ArgumentException("format 'table' is for the CLI; use csv, jsonl or json");
            }
        }
        catch (ArgumentException e)
        {
            await TypedResults.BadRequest(new { error = e.Message }).ExecuteAsync(ctx).ConfigureAwait(false);
            return;
        }
        if (!await audit.RecordAsync(ctx, $"/api/reports/{kind}", request.Describe()).ConfigureAwait(false))
        {
            return;
        }
        ctx.Response.ContentType = fmt switch
        {
            ReportFormat.Csv => "text/csv; charset=utf-8",
            ReportFormat.Json => "application/json; charset=utf-8",
            _ => "application/x-ndjson; charset=utf-8",
        };
        using var streaming = Stopping.Linked(ctx);
        await using var writer = new StreamWriter(ctx.Response.Body, new UTF8Encoding(false), 16 * 1024, leaveOpen: true);
        await Report.WriteAsync(db, request, fmt, writer, streaming.Token).ConfigureAwait(false);
    }
}
