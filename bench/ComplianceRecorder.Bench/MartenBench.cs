using System.Diagnostics;
using ComplianceRecorder.Pipeline.Events;
using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Aggregation;
using Marten.Events.Projections;
using Npgsql;

namespace ComplianceRecorder.Bench;

/// <summary>
/// Marten beside our store, on the same cluster, in a database of its own (so it never touches the
/// recorder's schema), with the same segments: its quick append with inline projections equivalent to
/// ours (an audit row per segment, a summary per call), and its daemon's rebuild of them.
/// Batches are shaped like our group commit's: up to 500 events over the given streams, one session and
/// one commit each, one writer at a time.
/// </summary>
internal static class MartenBench
{
    private const int Batch = 500;

    public static async Task<DocumentStore> OpenAsync(NpgsqlDataSource cluster, string clusterConnectionString)
    {
        await using (var drop = cluster.CreateCommand("DROP DATABASE IF EXISTS marten_bench WITH (FORCE)"))
        {
            await drop.ExecuteNonQueryAsync();
        }
        await using (var create = cluster.CreateCommand("CREATE DATABASE marten_bench"))
        {
            await create.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(clusterConnectionString) { Database = "marten_bench" }.ConnectionString;
        var store = DocumentStore.For(o =>
        {
            o.Connection(cs);
            o.DatabaseSchemaName = "marten";
            o.AutoCreateSchemaObjects = AutoCreate.All;
            o.UseSystemTextJsonForSerialization();
            o.Events.StreamIdentity = StreamIdentity.AsString;
            o.Events.AppendMode = EventAppendMode.Quick;
            o.Events.AddEventType<SegmentRecorded>();
            o.Projections.Add<MartenAuditProjection>(ProjectionLifecycle.Inline);
            o.Projections.Add<MartenCallSummaryProjection>(ProjectionLifecycle.Inline);
        });
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        // Marten generates and compiles its appenders and projections on first use: not part of any figure
        await AppendAsync(store, Batch, 1);
        return store;
    }

    /// <summary>Appends <paramref name="n"/> segments round-robin over <paramref name="streams"/> calls; events/s.</summary>
    public static async Task<double> AppendAsync(DocumentStore store, int n, int streams)
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var next = new int[streams];
        var sw = Stopwatch.StartNew();
        for (var done = 0; done < n; done += Batch)
        {
            await using var session = store.LightweightSession();
            var take = Math.Min(Batch, n - done);
            // each stream's events of this batch appended together, as our function groups them
            foreach (var group in Enumerable.Range(done, take).GroupBy(i => i % streams))
            {
                var call = $"{run}-{group.Key}";
                session.Events.Append(call, group.Select(_ => (object)StoreBench.Segment(call, next[group.Key]++)).ToArray());
            }
            await session.SaveChangesAsync();
        }
        return n / sw.Elapsed.TotalSeconds;
    }

    /// <summary>Rebuilds both projections with Marten's daemon over every event appended so far; events/s.</summary>
    public static async Task<(double Rate, long Events)> RebuildAsync(DocumentStore store)
    {
        var stats = await store.Advanced.FetchEventStoreStatistics();
        using var daemon = await store.BuildProjectionDaemonAsync();
        var sw = Stopwatch.StartNew();
        await daemon.RebuildProjectionAsync<MartenAuditProjection>(TimeSpan.FromMinutes(30), CancellationToken.None);
        await daemon.RebuildProjectionAsync<MartenCallSummaryProjection>(TimeSpan.FromMinutes(30), CancellationToken.None);
        return (stats.EventCount / sw.Elapsed.TotalSeconds, stats.EventCount);
    }
}

/// <summary>Our audit_log row, as a Marten document.</summary>
public sealed class MartenAuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public string ConversationId { get; set; } = "";
    public string? MediaSessionId { get; set; }
    public long? Sequence { get; set; }
    public string Channel { get; set; } = "";
    public string UtteranceId { get; set; } = "";
    public int Revision { get; set; }
    public bool IsFinal { get; set; }
    public bool Backfilled { get; set; }
    public int RawLength { get; set; }
    public int RedactedLength { get; set; }
    public double? LatencyMs { get; set; }
    public int TokensProcessed { get; set; }
    public string ComplianceFlag { get; set; } = "";
    public Dictionary<string, int> Entities { get; set; } = [];
    public long OffsetMs { get; set; }
}

/// <summary>Our call_summaries row, as a Marten aggregate.</summary>
public sealed class MartenCallSummary
{
    public string Id { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }
    public int Segments { get; set; }
    public int Finals { get; set; }
    public int Redactions { get; set; }
    public long LastSeq { get; set; }
}

public sealed partial class MartenAuditProjection : EventProjection
{
    public MartenAuditEntry Create(IEvent<SegmentRecorded> e)
    {
        var s = e.Data;
        var redactions = s.Entities.Values.Sum();
        return new MartenAuditEntry
        {
            Id = e.Sequence,
            RecordedAt = e.Timestamp,
            ConversationId = s.ConversationId,
            MediaSessionId = s.MediaSessionId,
            Sequence = s.SourceSequence,
            Channel = s.Channel,
            UtteranceId = s.UtteranceId,
            Revision = s.Revision,
            IsFinal = s.IsFinal,
            Backfilled = s.Backfilled,
            RawLength = s.RawLength,
            RedactedLength = s.RedactedLength,
            LatencyMs = s.LatencyMs,
            TokensProcessed = s.Tokens,
            ComplianceFlag = redactions > 0 ? "PII_REDACTED" : "CLEAN",
            Entities = s.Entities,
            OffsetMs = s.OffsetMs,
        };
    }
}

public sealed partial class MartenCallSummaryProjection : SingleStreamProjection<MartenCallSummary, string>
{
    public static MartenCallSummary Create(IEvent<SegmentRecorded> e) => Apply(e, new MartenCallSummary { Id = e.StreamKey!, StartedAt = e.Timestamp });

    public static MartenCallSummary Apply(IEvent<SegmentRecorded> e, MartenCallSummary summary)
    {
        summary.Segments++;
        summary.Finals += e.Data.IsFinal ? 1 : 0;
        summary.Redactions += e.Data.Entities.Values.Sum();
        summary.LastSeq = Math.Max(summary.LastSeq, e.Sequence);
        return summary;
    }
}
