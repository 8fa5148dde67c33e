using ComplianceRecorder.EventStore;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.EventStore;

/// <summary>What rebuild and verify tell a progress display, over a store of a few hundred events.</summary>
public sealed class ProgressTests(Database db) : IClassFixture<Database>, IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Reported in the caller's order, unlike <see cref="Progress{T}"/>, which posts to the thread pool.</summary>
    private sealed class Recorded : IProgress<EventProgress>
    {
        public List<EventProgress> Reports { get; } = [];

        public void Report(EventProgress value) => Reports.Add(value);
    }

    public async Task InitializeAsync()
    {
        for (var call = 0; call < 6; call++)
        {
            var id = "progress-" + Guid.NewGuid();
            await db.Store().AppendAsync([
                new PendingEvent(new CallStarted(id, "notifications", T0)),
                .. Enumerable.Range(1, 40).Select(i => new PendingEvent(EventStoreTests.Segment(id, "u" + i, 1, true))),
                new PendingEvent(new MetricsWindowClosed(id, T0, T0.AddSeconds(10), 1, 4, 0, 9, 12, 15, 1)),
            ]);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static void AssertClimbsToTheTotal(List<EventProgress> reports, long total)
    {
        Assert.True(reports.Count > 2, $"{reports.Count} reports");
        Assert.All(reports, r => Assert.Equal(total, r.Total));
        Assert.All(reports.Zip(reports.Skip(1)), p => Assert.True(p.Second.Done >= p.First.Done, $"{p.First.Done} then {p.Second.Done}"));
        Assert.True(reports.Select(r => r.Done).Distinct().Count() > 2, "the count must climb in steps");
        Assert.Equal(total, reports[^1].Done);
    }

    [Fact]
    public async Task A_rebuild_reports_events_replayed_in_increasing_counts_ending_at_the_total()
    {
        var audit = new Recorded();
        var metrics = new Recorded();

        var n = await Rebuilder.RebuildAsync(db.OwnerDataSource, "audit", audit);
        await Rebuilder.RebuildAsync(db.OwnerDataSource, "metrics", metrics);

        Assert.Equal(await db.ScalarAsync<long>("SELECT count(*) FROM events"), n);
        AssertClimbsToTheTotal(audit.Reports, n);
        Assert.Equal(await db.ScalarAsync<long>("SELECT count(*) FROM audit_log"), await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'segment_recorded'"));
        Assert.Equal(await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'metrics_window_closed'"), metrics.Reports[^1].Total);
        Assert.Equal(metrics.Reports[^1].Total, metrics.Reports[^1].Done);
    }

    [Fact]
    public async Task Verify_reports_events_checked_in_increasing_counts_ending_at_the_total()
    {
        var progress = new Recorded();

        var report = await ChainVerifier.VerifyAsync(db.DataSource, progress: progress);

        Assert.True(report.Ok);
        AssertClimbsToTheTotal(progress.Reports, report.Events);
    }
}
