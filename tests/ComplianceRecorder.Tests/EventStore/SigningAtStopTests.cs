using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.EventStore;

public sealed class SigningAtStopTests
{
    /// <summary>The demo's calls recorded to their end, the recorder stopped, then <paramref name="check"/>.</summary>
    private static async Task AfterAStopAsync(Func<DemoHost, Task> check)
    {
        var demo = new DemoHost();
        await demo.InitializeAsync();
        try
        {
            await demo.CallsEndedAsync();
            await demo.Host.DisposeAsync();
            await check(demo);
        }
        finally
        {
            await demo.Database.DisposeAsync();
        }
    }

    // the signing interval (60 s by default) is far longer than this run: only the stop can sign
    [Fact]
    public Task Stopping_the_recorder_signs_every_streams_head_it_committed() => AfterAStopAsync(async demo =>
    {
        Assert.Equal(0L, await demo.Database.ScalarAsync<long>("""
            SELECT count(*) FROM streams s
             WHERE s.version > coalesce((SELECT max(c.version) FROM chain_checkpoints c WHERE c.stream_id = s.id), 0)
            """));
        Assert.True(await demo.Database.ScalarAsync<long>("SELECT count(*) FROM streams") > 0);
    });

    [Fact]
    public Task Each_store_anchor_is_logged_so_the_operators_log_witnesses_the_newest() => AfterAStopAsync(async demo =>
    {
        var newest = await demo.Database.ScalarAsync<string>(
            "SELECT events || ' events up to seq ' || max_seq || ', signature ' || left(encode(signature, 'hex'), 16) FROM chain_anchors ORDER BY max_seq DESC LIMIT 1");
        Assert.Contains(demo.Logs.Lines, l => l.StartsWith("Information ", StringComparison.Ordinal) && l.Contains("Store anchored: " + newest, StringComparison.Ordinal));
    });
}
