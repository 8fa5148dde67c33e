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

    [Fact]
    public async Task Readiness_turns_red_when_one_connections_queue_fills_behind_a_stuck_commit_while_the_total_backlog_is_low()
    {
        var stuck = "stuck-" + Guid.NewGuid().ToString("N")[..8];
        await db.Store("lanes").AppendAsync([new PendingEvent(EventStoreTests.Segment(stuck, "u0", 1, true, "first"))]);
        await using var committer = new GroupCommitter(db.Store("lanes"), NullLogger.Instance, TimeProvider.System, capacity: 100, maxBatch: 10, connections: 2);
        var check = new global::ComplianceRecorder.Health.CommitBacklogHealthCheck(committer, new global::ComplianceRecorder.EventStore.Projections.ProjectionDaemon(db.DataSource, TimeProvider.System, NullLogger.Instance));
        var done = new List<Task<Appended>>();
        // the stream's row held by another transaction: its connection's batch waits on the lock, its queue fills
        await using (var holder = await db.OwnerDataSource.OpenConnectionAsync())
        await using (var tx = await holder.BeginTransactionAsync())
        {
            await using (var lockRow = new Npgsql.NpgsqlCommand($"SELECT 1 FROM streams WHERE id = '{stuck}' FOR UPDATE", holder, tx))
            {
                await lockRow.ExecuteNonQueryAsync();
            }
            for (var i = 1; i <= 55; i++)
            {
                done.Add(await committer.EnqueueAsync(EventStoreTests.Segment(stuck, $"u{i}", 1, true, $"words {i}")));
            }
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (committer.FullestQueue < 0.8 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            var health = await check.CheckHealthAsync(null!);

            Assert.True(committer.Backlog < committer.Capacity * 8 / 10, $"backlog {committer.Backlog}");
            Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, health.Status);
            await tx.RollbackAsync();
        }

        // once the lock goes, everything queued commits and readiness is green again
        Assert.Equal(Enumerable.Range(2, 55), (await Task.WhenAll(done).WaitAsync(TimeSpan.FromSeconds(60))).Select(a => a.Version));
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, (await check.CheckHealthAsync(null!)).Status);
    }

    [Fact]
    public async Task An_event_json_cannot_hold_is_refused_at_the_spill_and_every_event_after_it_is_still_spilled()
    {
        var spill = Path.Combine(Path.GetTempPath(), "cr-spill-" + Guid.NewGuid().ToString("N")[..8]);
        // nothing listens on port 1: every commit fails as the store being down does
        await using var down = Npgsql.NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody;Password=x;Timeout=1");
        var committer = new GroupCommitter(new global::ComplianceRecorder.EventStore.Appending.EventStore(down, "lanes"), NullLogger.Instance, TimeProvider.System, spill: new SpillFile(spill));
        var call = "spill-" + Guid.NewGuid().ToString("N")[..8];
        var before = await committer.EnqueueAsync(EventStoreTests.Segment(call, "u1", 1, true, "before"));
        var poison = await committer.EnqueueAsync(EventStoreTests.Segment(call, "u2", 1, true, "unwritable") with { LatencyMs = double.NaN });
        var after = await committer.EnqueueAsync(EventStoreTests.Segment(call, "u3", 1, true, "after"));

        var spilled = await committer.StopAsync(TimeSpan.FromMilliseconds(300));

        Assert.Equal(2, spilled);
        var file = Assert.Single(Directory.GetFiles(spill));
        Assert.Equal(["u1", "u3"], SpillFile.Read(file).Events.OfType<SegmentRecorded>().Select(s => s.UtteranceId));
        await Assert.ThrowsAsync<EventsSpilledException>(() => before);
        await Assert.ThrowsAsync<UnserializableEventException>(() => poison);
        await Assert.ThrowsAsync<EventsSpilledException>(() => after);
        Directory.Delete(spill, recursive: true);
    }
}
