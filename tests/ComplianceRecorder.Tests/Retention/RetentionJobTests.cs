using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Retention;
using ComplianceRecorder.Hosting;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.EventStore;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ComplianceRecorder.Tests.Retention;

/// <summary>The hosted retention job on a FakeTimeProvider: a call expires at the first pass after its term, not before.</summary>
public sealed class RetentionJobTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task The_retention_job_shreds_a_call_at_its_first_pass_after_the_term_on_the_injected_clock()
    {
        var start = new DateTimeOffset(2032, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        var store = db.SealingStore("job");
        await RetentionPolicies.SetAsync(store, "q-job", 2, "test", start);
        var call = "job-" + Guid.NewGuid().ToString("N")[..8];
        await RetentionTests.StartedInQueueAsync(db, call, start, "q-job");
        await store.AppendAsync([new PendingEvent(EventStoreTests.Segment(call, "u1", 1, true, "kept two days"))]);
        using var job = new RetentionJob(new AdminStore(store), Options.Create(new RetentionOptions { IntervalMinutes = 60 * 12 }), time, NullLogger<RetentionJob>.Instance);

        await job.StartAsync(CancellationToken.None);
        // passes at 0 h, 12 h, 24 h, 36 h: none is past the two days
        for (var pass = 1; pass <= 4; pass++)
        {
            await PassesAsync(job, pass);
            Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'call_expired' AND stream_id = '{call}'"));
            time.Advance(TimeSpan.FromHours(12));
        }
        // the pass at 48 h is
        await PassesAsync(job, 5);
        await job.StopAsync(CancellationToken.None);

        Assert.Equal("call_expired", await db.ScalarAsync<string>($"SELECT destroyed_by FROM data_keys WHERE key_id = '{call}'"));
        Assert.Equal("queue:q-job", await db.ScalarAsync<string>($"SELECT data->>'policy' FROM events WHERE type = 'call_expired' AND stream_id = '{call}'"));
    }

    private static async Task PassesAsync(RetentionJob job, int passes)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (job.Passes < passes && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.Equal(passes, job.Passes);
    }
}
