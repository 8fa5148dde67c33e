using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.ReadSide;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace ComplianceRecorder.Verbs;

/// <summary><c>report audit|calls|metrics [--call ID] [--from T] [--to T] [--flag F] [--format csv|jsonl|json|table]</c>, recorded as an access event (the arguments are <see cref="RecorderCommandLine"/>'s).</summary>
internal static class ReportVerb
{
    public static async Task<int> RunAsync(IConfiguration config, ReportRequest request, ReportFormat format)
    {
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
