using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComplianceRecorder.Tests.EventStore;

/// <summary>A committer whose batches commit on several connections at once.</summary>
public sealed class CommitterConnectionsTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task Several_committer_connections_keep_each_stream_in_the_order_queued_with_its_chain_whole()
    {
        const int Streams = 13;
        const int PerStream = 60;
        var run = Guid.NewGuid().ToString("N")[..8];
        var calls = Enumerable.Range(0, Streams).Select(c => $"lanes-{run}-{c}").ToArray();
        await using var committer = new GroupCommitter(db.Store("lanes"), NullLogger.Instance, TimeProvider.System, maxBatch: 7, connections: 3);
        var done = calls.ToDictionary(c => c, _ => new List<Task<Appended>>());
        // interleaved across streams, each stream's utterances in order, nothing awaited between them
        for (var i = 0; i < PerStream; i++)
        {
            foreach (var call in calls)
            {
                done[call].Add(await committer.EnqueueAsync(EventStoreTests.Segment(call, $"u{i}", 1, true, $"words {i}")));
            }
        }

        foreach (var call in calls)
        {
            var appended = await Task.WhenAll(done[call]).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(Enumerable.Range(1, PerStream), appended.Select(a => a.Version));
            Assert.True(appended.Zip(appended.Skip(1)).All(p => p.First.Seq < p.Second.Seq), $"{call}: sequence numbers out of the queued order");
        }
        var ids = string.Join(",", calls.Select(c => $"'{c}'"));
        Assert.Equal((long)Streams * PerStream, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id IN ({ids})"));
        var report = await ChainVerifier.VerifyAsync(db.DataSource);
        Assert.True(report.Ok, string.Join("; ", report.Broken.Select(x => $"{x.StreamId} v{x.Version}: {x.Reason}")));
    }
}
