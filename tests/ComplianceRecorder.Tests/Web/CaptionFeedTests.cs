using System.Reactive.Subjects;
using ComplianceRecorder.ReadSide;
using ComplianceRecorder.Web;

namespace ComplianceRecorder.Tests.Web;

/// <summary>One consumer's caption feed, driven step by step: no sockets, no clock.</summary>
public sealed class CaptionFeedTests
{
    // the README's bound: past 5,000 queued finals a consumer is cut off
    private const int Bound = 5_000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static Caption Final(long seq) => new(seq, "call-1", "EXTERNAL", $"u{seq}", 1, true, "words", 0, 100, null);

    private static Caption Partial(string utterance, int revision) => new(0, "call-1", "EXTERNAL", utterance, revision, false, $"rev {revision}", 0, 100, null);

    [Fact]
    public async Task A_consumer_reading_slower_than_ingestion_is_cut_off_when_the_bound_is_passed()
    {
        var live = new Subject<Caption>();
        using var feed = new CaptionFeed(live, null);
        await using var reader = feed.LiveAsync(CancellationToken.None).GetAsyncEnumerator();
        long recorded = 0;
        var read = 0;
        var cutOff = false;

        // two finals recorded for every one the consumer takes: never idle, never caught up
        for (var step = 0; step < 4 * Bound && !cutOff; step++)
        {
            live.OnNext(Final(++recorded));
            live.OnNext(Final(++recorded));
            if (await reader.MoveNextAsync().AsTask().WaitAsync(Patience))
            {
                Assert.Equal(read + 1, reader.Current.Seq);
                read++;
            }
            else
            {
                cutOff = true;
            }
        }

        Assert.True(cutOff, $"the consumer was still served after {recorded} finals with {recorded - read} waiting");
        Assert.True(feed.Overrun);
        // cut off by the final that would have been the 5,001st waiting, not later
        Assert.Equal(Bound + 1, recorded - read);
        Assert.False(await reader.MoveNextAsync().AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task Partials_of_an_utterance_coalesce_to_the_latest_and_finals_come_first()
    {
        var live = new Subject<Caption>();
        using var feed = new CaptionFeed(live, null);
        await using var reader = feed.LiveAsync(CancellationToken.None).GetAsyncEnumerator();

        for (var revision = 1; revision <= 1_000; revision++)
        {
            live.OnNext(Partial("speaking", revision));
        }
        live.OnNext(Final(1));

        Assert.True(await reader.MoveNextAsync().AsTask().WaitAsync(Patience));
        Assert.Equal(Final(1), reader.Current);
        Assert.True(await reader.MoveNextAsync().AsTask().WaitAsync(Patience));
        Assert.Equal(Partial("speaking", 1_000), reader.Current);
        Assert.False(feed.Overrun);
    }

    [Fact]
    public async Task Disposing_while_captions_arrive_on_other_threads_never_throws_and_ends_the_reader()
    {
        for (var round = 0; round < 200; round++)
        {
            var live = new Subject<Caption>();
            var feed = new CaptionFeed(live, null);
            var reading = Task.Run(async () =>
            {
                await foreach (var _ in feed.LiveAsync(CancellationToken.None))
                {
                }
            });
            var pushed = 0;
            var pushers = Enumerable.Range(0, 2).Select(p => Task.Run(() =>
            {
                for (var i = 0; i < 2_000; i++)
                {
                    live.OnNext(i % 3 == 0 ? Final(i) : Partial($"p{p}-{i % 7}", i));
                    Interlocked.Increment(ref pushed);
                }
            })).ToArray();
            // dispose mid-stream, while both pushers are busy
            while (Volatile.Read(ref pushed) < 500)
            {
                await Task.Yield();
            }
            feed.Dispose();

            await Task.WhenAll(pushers).WaitAsync(Patience);
            await reading.WaitAsync(Patience);
        }
    }
}
