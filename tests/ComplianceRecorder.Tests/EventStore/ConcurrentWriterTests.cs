using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.EventStore;

/// <summary>Two recorders (or a redelivery) append the same call's events at the same instant.</summary>
public sealed class ConcurrentWriterTests(Database db) : IClassFixture<Database>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Two_writers_of_the_same_events_both_succeed_with_one_row_per_source_key_and_one_chain()
    {
        const int Iterations = 150;
        var a = db.Store("writer-a");
        var b = db.Store("writer-b");
        var calls = new List<string>();
        for (var i = 0; i < Iterations; i++)
        {
            var call = $"race-{i}-{Guid.NewGuid():N}";
            calls.Add(call);
            PendingEvent[] shared =
            [
                new(new CallStarted(call, "notifications", T0)),
                .. Enumerable.Range(1, 5).Select(u => new PendingEvent(EventStoreTests.Segment(call, $"u{u}", 1, true, $"words {u}"))),
            ];
            // the second writer also heard one more utterance: what is new in its batch must still be appended
            PendingEvent[] more = [.. shared, new(EventStoreTests.Segment(call, "u6", 1, true, "words 6"))];
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var first = Task.Run(async () => { await go.Task; return await a.AppendAsync(shared); });
            var second = Task.Run(async () => { await go.Task; return await b.AppendAsync(more); });
            go.SetResult();

            var results = await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(30));

            // both writers learn the same place for every shared event, whoever wrote it
            Assert.Equal(results[0].Select(r => r.Seq), results[1].Take(shared.Length).Select(r => r.Seq));
            Assert.Equal(shared.Length, results[0].Zip(results[1]).Count(p => p.First.Duplicate ^ p.Second.Duplicate));
        }

        var streams = string.Join(",", calls.Select(c => $"'{c}'"));
        Assert.Equal(Iterations * 7L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id IN ({streams})"));
        Assert.Equal(Iterations * 7L, await db.ScalarAsync<long>($"SELECT count(DISTINCT (stream_id, source_key)) FROM events WHERE stream_id IN ({streams})"));
        // versions 1..7 with no hole in each stream, and the stream head at 7
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM (SELECT stream_id FROM events WHERE stream_id IN ({streams}) GROUP BY stream_id HAVING max(version) <> 7 OR count(*) <> 7) x"));
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM streams WHERE id IN ({streams}) AND version <> 7"));
        var report = await ChainVerifier.VerifyAsync(db.DataSource);
        Assert.True(report.Ok, string.Join("; ", report.Broken.Select(x => $"{x.StreamId} v{x.Version}: {x.Reason}")));
    }
}
