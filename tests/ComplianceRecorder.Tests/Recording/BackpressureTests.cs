using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Tests.EventStore;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ComplianceRecorder.Tests.Recording;

/// <summary>PostgreSQL goes away behind a real TCP relay while segments keep coming.</summary>
public sealed class BackpressureTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task While_the_database_is_down_the_producer_blocks_at_the_bound_and_nothing_is_lost()
    {
        var target = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        await using var proxy = new TcpProxy(target.Host!, target.Port);
        await using var viaProxy = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(db.ConnectionString)
        {
            Port = proxy.Port,
            Timeout = 2,
            CommandTimeout = 5,
            Pooling = false,
        }.ConnectionString);
        const int Capacity = 50;
        var committer = new GroupCommitter(new global::ComplianceRecorder.EventStore.Appending.EventStore(viaProxy, "backpressure"), NullLogger.Instance, TimeProvider.System, capacity: Capacity, maxBatch: 10);
        var call = "bp-" + Guid.NewGuid();
        proxy.Cut();

        var commits = new List<Task<Appended>>();
        var produced = 0;
        var producer = Task.Run(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                commits.Add(committer.Enqueue(EventStoreTests.Segment(call, $"u{i}", 1, true)));
                Interlocked.Increment(ref produced);
            }
        });
        await Task.Delay(TimeSpan.FromSeconds(3));

        // the producer is held at the bound, not buffering without limit
        Assert.False(producer.IsCompleted);
        Assert.InRange(Volatile.Read(ref produced), Capacity, Capacity + 10 + 1);
        Assert.True(committer.Failing);
        Assert.InRange(committer.Backlog, Capacity, Capacity + 10 + 1);

        proxy.Restore();
        await producer.WaitAsync(TimeSpan.FromSeconds(60));
        await Task.WhenAll(commits).WaitAsync(TimeSpan.FromSeconds(60));
        await committer.DisposeAsync();

        Assert.Equal(500L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id = '{call}'"));
        Assert.Equal(500L, await db.ScalarAsync<long>($"SELECT count(DISTINCT data->>'utteranceId') FROM events WHERE stream_id = '{call}'"));
        Assert.False(committer.Failing);
    }
}
