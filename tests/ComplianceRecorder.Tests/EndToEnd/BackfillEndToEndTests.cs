using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.EndToEnd;

/// <summary>A socket outage in the middle of calls, then Genesys' stored transcript fills what it lost.</summary>
public sealed class BackfillEndToEndTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public Task What_a_socket_outage_lost_is_backfilled_from_the_stored_transcript_once_the_call_ends() => OutageThenBackfill(db, storedDriftMs: 0);

    /// <summary>Every final said is stored once, heard live or backfilled; the stored transcript may be timed by another clock.</summary>
    internal static async Task OutageThenBackfill(Database db, long storedDriftMs)
    {
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 5, StoredDriftMs = storedDriftMs });
        var calls = emulator.Scenario.Calls.Count;
        var expectedFinals = emulator.Scenario.Calls.Sum(c => c.Utterances.Count);
        // a call whose end is lost in the outage ends by going quiet; longer than the outage, so no call is cut in two
        await using (new LiveRecording(emulator, db, "backfill", callIdle: TimeSpan.FromSeconds(8), backfill: true))
        {
            await Until(async () => await db.ScalarAsync<long>("SELECT count(DISTINCT conversation_id) FROM audit_log") == calls);
            // every call is under way: the socket drops, and two 429s keep it down for over two seconds
            emulator.Faults.TooManyRequests(2, retryAfterSeconds: 1);
            emulator.DropSockets();
            await Until(async () => await db.ScalarAsync<long>("SELECT count(*) FROM call_summaries WHERE ended_at IS NOT NULL") == calls);
        }

        var live = await db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE is_final AND NOT backfilled");
        var backfilled = await db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE is_final AND backfilled");
        Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'coverage_gap_recorded'") > 0, "the outage is recorded as gaps");
        Assert.True(backfilled > 0, $"{live} finals heard live, none backfilled");
        Assert.True(expectedFinals == live + backfilled, $"{expectedFinals} finals said; {live} heard live and {backfilled} backfilled");
        Assert.True(emulator.TranscriptsServed > 0);
        var texts = await db.ScalarAsync<string>("SELECT string_agg(data->>'text', ' | ') FROM events WHERE type = 'segment_recorded'");
        Assert.DoesNotContain("four one one one", texts, StringComparison.Ordinal);
        Assert.True((await ChainVerifier.VerifyAsync(db.DataSource)).Ok);
    }

    private static async Task Until(Func<Task<bool>> done, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await done() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }
}

/// <summary>The stored transcript's times run 1.5 s off the live stream's: nothing is doubled or dropped for it.</summary>
public sealed class BackfillDriftEndToEndTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public Task Stored_times_drifted_from_the_live_ones_still_backfill_each_lost_final_once() => BackfillEndToEndTests.OutageThenBackfill(db, storedDriftMs: 1500);
}
