using System.Security.Cryptography;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComplianceRecorder.Tests.EventStore;

/// <summary>Events PostgreSQL refuses for their content, and strings it would refuse.</summary>
public sealed class RefusalTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task Strings_jsonb_and_text_refuse_are_made_safe_on_the_way_in()
    {
        var call = "nul-" + Guid.NewGuid() + "\0";
        var poisoned = EventStoreTests.Segment(call, "u\01", 1, true, "card\0 [CARD] \uD800 end \uD83D\uDE00");

        var appended = await db.Store().AppendAsync([new PendingEvent(poisoned)]);

        Assert.False(appended[0].Duplicate);
        Assert.Equal("u\uFFFD1", await db.ScalarAsync<string>($"SELECT data->>'utteranceId' FROM events WHERE seq = {appended[0].Seq}"));
        // a well-formed pair is kept; a lone surrogate and a NUL become U+FFFD
        Assert.Equal("card\uFFFD [CARD] \uFFFD end \uD83D\uDE00", await db.ScalarAsync<string>($"SELECT data->>'text' FROM events WHERE seq = {appended[0].Seq}"));
        Assert.EndsWith("\uFFFD", await db.ScalarAsync<string>($"SELECT stream_id FROM events WHERE seq = {appended[0].Seq}"), StringComparison.Ordinal);
        Assert.Same("clean text", JsonSafeString.Sanitize("clean text"));
    }

    [Fact]
    public async Task A_poison_event_is_recorded_as_refused_and_the_rest_of_its_batch_goes_on()
    {
        var call = "poison-" + Guid.NewGuid();
        var other = "other-" + Guid.NewGuid();
        // an utterance id too large for the (stream, source_key) index: PostgreSQL refuses it with 54000
        var huge = Convert.ToHexString(RandomNumberGenerator.GetBytes(6000));
        var oversized = EventStoreTests.Segment(call, huge, 1, true, "too big a key");
        // a latency that JSON cannot carry: refused before it reaches the store
        var notANumber = EventStoreTests.Segment(call, "u-nan", 1, true, "not a number") with { LatencyMs = double.NaN };
        RecordedEvent[] events =
        [
            new CallStarted(call, "notifications", DateTimeOffset.UnixEpoch),
            EventStoreTests.Segment(call, "u1", 1, true, "before"),
            oversized,
            EventStoreTests.Segment(other, "u1", 1, true, "another call"),
            notANumber,
            EventStoreTests.Segment(call, "u2", 1, true, "after"),
        ];
        var committer = new GroupCommitter(db.Store("refusals"), NullLogger.Instance, TimeProvider.System, maxBatch: 500);
        Task<Appended>[] commits;
        await using (committer)
        {
            commits = [.. events.Select(committer.Enqueue)];
            await Task.WhenAll(commits).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(committer.Failing, "a refused event is an answer from the store, not an unreachable store");
        }

        var results = commits.Select(c => c.Result).ToArray();
        Assert.Equal([false, false, true, false, true, false], results.Select(r => r.Refusal is not null));
        Assert.Equal("54000", results[2].Refusal!.SqlState);
        Assert.Null(results[4].Refusal!.SqlState);
        Assert.Equal(SegmentRecorded.TypeName, results[2].Refusal!.OriginalType);
        Assert.Equal(3L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id = '{call}'"));
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id = '{other}'"));
        Assert.Equal("before,after", await db.ScalarAsync<string>($"SELECT string_agg(data->>'text', ',' ORDER BY version) FROM events WHERE stream_id = '{call}' AND type = 'segment_recorded'"));
        // each refusal is itself an event, naming the stream, the type and the reason, never the text
        var refusals = await db.ScalarAsync<string>($"SELECT string_agg(data::text, ' ') FROM events WHERE type = 'event_refused' AND data->>'stream' = '{call}'");
        Assert.Contains("54000", refusals, StringComparison.Ordinal);
        Assert.DoesNotContain("too big a key", refusals, StringComparison.Ordinal);
        Assert.DoesNotContain("not a number", refusals, StringComparison.Ordinal);
        Assert.Equal(2L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'event_refused' AND data->>'stream' = '{call}'"));
    }
}
