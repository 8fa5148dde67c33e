using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace ComplianceRecorder.ReadSide;

/// <summary>
/// Reads a projection row by row with a server-side cursor and writes each row as it comes, so an
/// export of a year of calls never sits whole in memory. The same code serves REST and the CLI.
/// </summary>
public static class Report
{
    private static (string Sql, string[] Columns) Query(string kind) => kind switch
    {
        "audit" => ("""
            SELECT seq, recorded_at, conversation_id, channel, utterance_id, revision, is_final, backfilled, raw_length,
                   redacted_length, latency_ms, tokens_processed, compliance_flag, entities::text, sequence, media_session_id
              FROM audit_log
             WHERE ($1::text IS NULL OR conversation_id = $1) AND ($2::timestamptz IS NULL OR recorded_at >= $2)
               AND ($3::timestamptz IS NULL OR recorded_at < $3) AND ($4::text IS NULL OR compliance_flag = $4)
             ORDER BY seq
            """, ["seq", "recorded_at", "conversation_id", "channel", "utterance_id", "revision", "is_final", "backfilled", "raw_length",
                "redacted_length", "latency_ms", "tokens_processed", "compliance_flag", "entities", "sequence", "media_session_id"]),
        "calls" => ("""
            SELECT s.conversation_id, s.started_at, s.ended_at, s.segments, s.finals, s.gaps, s.lost_messages, s.redactions,
                   l.p50_latency_ms, l.p95_latency_ms, l.p99_latency_ms, l.max_latency_ms,
                   -- whether the call's text can still be read: its key destroyed reads as the captions do
                   CASE WHEN k.destroyed_at IS NULL THEN 'kept'
                        ELSE format('[%s %s]', CASE k.destroyed_by WHEN 'call_expired' THEN 'expired' ELSE 'erased' END,
                                    to_char(k.destroyed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')) END
              FROM call_summaries s LEFT JOIN audit_call_latency l USING (conversation_id)
              LEFT JOIN data_keys k ON k.key_id = s.conversation_id
             WHERE ($1::text IS NULL OR s.conversation_id = $1) AND ($2::timestamptz IS NULL OR s.started_at >= $2)
               AND ($3::timestamptz IS NULL OR s.started_at < $3) AND ($4::text IS NULL OR true)
             ORDER BY s.started_at, s.conversation_id
            """, ["conversation_id", "started_at", "ended_at", "segments", "finals", "gaps", "lost_messages", "redactions",
                "p50_latency_ms", "p95_latency_ms", "p99_latency_ms", "max_latency_ms", "text"]),
        "metrics" => ("""
            SELECT scope, window_start, window_end, segments, tokens, gaps, p50_ms, p95_ms, p99_ms, max_ms
              FROM metrics_windows
             WHERE scope = coalesce($1::text, 'all') AND ($2::timestamptz IS NULL OR window_start >= $2)
               AND ($3::timestamptz IS NULL OR window_start < $3) AND ($4::text IS NULL OR true)
             ORDER BY window_start
            """, ["scope", "window_start", "window_end", "segments", "tokens", "gaps", "p50_ms", "p95_ms", "p99_ms", "max_ms"]),
        _ => throw new ArgumentException($"unknown report '{kind}'; known: {string.Join(", ", ReportRequest.Kinds)}"),
    };

    public static async Task<long> WriteAsync(NpgsqlDataSource db, ReportRequest request, ReportFormat format, TextWriter output, CancellationToken ct)
    {
        var (sql, columns) = Query(request.Kind);
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        // a cursor needs a transaction; rows then come in pages, not all at once
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        cmd.Parameters.Add(Parameter(request.Call, NpgsqlDbType.Text));
        cmd.Parameters.Add(Parameter(request.From, NpgsqlDbType.TimestampTz));
        cmd.Parameters.Add(Parameter(request.To, NpgsqlDbType.TimestampTz));
        cmd.Parameters.Add(Parameter(request.Flag, NpgsqlDbType.Text));
        await using var r = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct).ConfigureAwait(false);

        var values = new object?[columns.Length];
        var table = format == ReportFormat.Table ? new List<string[]>() : null;
        long rows = 0;
        if (format == ReportFormat.Csv)
        {
            await output.WriteLineAsync(string.Join(',', columns)).ConfigureAwait(false);
        }
        else if (format == ReportFormat.Json)
        {
            await output.WriteAsync('[').ConfigureAwait(false);
        }
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            for (var i = 0; i < columns.Length; i++)
            {
                values[i] = await r.IsDBNullAsync(i, ct).ConfigureAwait(false) ? null : r.GetValue(i);
            }
            switch (format)
            {
                case ReportFormat.Csv:
                    await output.WriteLineAsync(string.Join(',', values.Select(Csv))).ConfigureAwait(false);
                    break;
                case ReportFormat.Jsonl:
                    await output.WriteLineAsync(Json(columns, values)).ConfigureAwait(false);
                    break;
                case ReportFormat.Json:
                    await output.WriteAsync((rows == 0 ? "\n" : ",\n") + Json(columns, values)).ConfigureAwait(false);
                    break;
                default:
                    table!.Add([.. values.Select(Text)]);
                    break;
            }
            rows++;
            if (rows % 500 == 0)
            {
                await output.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        if (format == ReportFormat.Json)
        {
            await output.WriteLineAsync("\n]").ConfigureAwait(false);
        }
        if (table is not null)
        {
            await WriteTableAsync(output, columns, table).ConfigureAwait(false);
        }
        await output.FlushAsync(ct).ConfigureAwait(false);
        return rows;
    }

    private static NpgsqlParameter Parameter(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    private static string Text(object? v) => v switch
    {
        null => "",
        DateTime d => d.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        double x => x.ToString("0.###", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    // quoted when needed; a leading = + - @ is defused so a spreadsheet never runs a cell as a formula
    private static string Csv(object? v)
    {
        var s = Text(v);
        if (s.Length > 0 && v is string && s[0] is '=' or '+' or '-' or '@')
        {
            s = "'" + s;
        }
        return s.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
    }

    private static string Json(string[] columns, object?[] values)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            for (var i = 0; i < columns.Length; i++)
            {
                w.WritePropertyName(columns[i]);
                switch (values[i])
                {
                    case null: w.WriteNullValue(); break;
                    case bool b: w.WriteBooleanValue(b); break;
                    case int n: w.WriteNumberValue(n); break;
                    case long n: w.WriteNumberValue(n); break;
                    case double d: w.WriteNumberValue(d); break;
                    case string s when columns[i] == "entities": w.WriteRawValue(s); break;
                    default: w.WriteStringValue(Text(values[i])); break;
                }
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static async Task WriteTableAsync(TextWriter output, string[] columns, List<string[]> rows)
    {
        var widths = columns.Select((c, i) => Math.Min(40, Math.Max(c.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length)))).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => (c.Length > widths[i] ? c[..(widths[i] - 1)] + "…" : c).PadRight(widths[i])));
        await output.WriteLineAsync(Line(columns)).ConfigureAwait(false);
        await output.WriteLineAsync(string.Join("  ", widths.Select(w => new string('-', w)))).ConfigureAwait(false);
        foreach (var r in rows)
        {
            await output.WriteLineAsync(Line(r)).ConfigureAwait(false);
        }
        await output.WriteLineAsync($"({rows.Count} rows)").ConfigureAwait(false);
    }

    public static ReportFormat ParseFormat(string? s, ReportFormat fallback) => s?.ToLowerInvariant() switch
    {
        null or "" => fallback,
        "csv" => ReportFormat.Csv,
        "jsonl" => ReportFormat.Jsonl,
        "json" => ReportFormat.Json,
        "table" => ReportFormat.Table,
        _ => throw new ArgumentException($"unknown format '{s}'; known: csv, jsonl, json, table"),
    };

    public static DateTimeOffset? ParseTime(string? s, string name) =>
        string.IsNullOrEmpty(s) ? null
        : DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t
        : throw new ArgumentException($"{name} '{s}' is not a date or time (e.g. 2026-11-24 or 2026-11-24T10:00:00Z)");
}
