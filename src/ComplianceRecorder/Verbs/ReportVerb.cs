using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.ReadSide;
using Npgsql;

namespace ComplianceRecorder.Verbs;

/// <summary><c>report audit|calls|metrics [--call ID] [--from T] [--to T] [--flag F] [--format csv|jsonl|json|table]</c>, recorded as an access event.</summary>
internal static class ReportVerb
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || !ReportRequest.Kinds.Contains(args[0]))
        {
            await Console.Error.WriteLineAsync($"usage: report {string.Join('|', ReportRequest.Kinds)} [--call ID] [--from T] [--to T] [--flag F] [--format csv|jsonl|json|table]").ConfigureAwait(false);
            return 2;
        }
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                await Console.Error.WriteLineAsync($"report: '{args[i]}' needs a value (--name value)").ConfigureAwait(false);
                return 2;
            }
            options[args[i][2..]] = args[++i];
        }
        ReportRequest request;
        ReportFormat format;
        try
        {
            request = new ReportRequest(args[0], options.GetValueOrDefault("call"), Report.ParseTime(options.GetValueOrDefault("from"), "--from"),
                Report.ParseTime(options.GetValueOrDefault("to"), "--to"), options.GetValueOrDefault("flag"));
            format = Report.ParseFormat(options.GetValueOrDefault("format"), ReportFormat.Table);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync("report: " + e.Message).ConfigureAwait(false);
            return 2;
        }

        var config = Settings.Load([]);
        var store = await Settings.EventStoreAsync(config, quiet: true).ConfigureAwait(false);
        var local = store.Local;
        try
        {
            await using var db = NpgsqlDataSource.Create(store.Recorder);
            await store.MigrateAsync(db, Console.Error).ConfigureAwait(false);
            var who = $"cli:{Environment.UserName}@{Environment.MachineName}";
            var heads = new AppendedHeads();
            await new EventStore.Appending.EventStore(db, who, heads).AppendAsync([new PendingEvent(new ReportAccessed(who, "report " + request.Kind, request.Describe(), DateTimeOffset.UtcNow))]).ConfigureAwait(false);
            // signed here, as no recorder may be running to sign it: an unsigned access event would read as tampering
            await ChainCheckpoints.SignAsync(db, Settings.CheckpointKeys(config).Current, heads).ConfigureAwait(false);
            await Report.WriteAsync(db, request, format, Console.Out, CancellationToken.None).ConfigureAwait(false);
            return 0;
        }
        finally
        {
            if (local is not null)
            {
                await local.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
