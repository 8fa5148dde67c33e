using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.EventStore;

public sealed class SigningAtStopTests
{
    [Fact]
    public async Task Stopping_the_recorder_signs_every_streams_head_it_committed()
    {
        // the signing interval (60 s by default) is far longer than this run: only the stop can sign
        var demo = new DemoHost();
        await demo.InitializeAsync();
        try
        {
            await demo.CallsEndedAsync();
            await demo.Host.DisposeAsync();

            Assert.Equal(0L, await demo.Database.ScalarAsync<long>("""
                SELECT count(*) FROM streams s
                 WHERE s.version > coalesce((SELECT max(c.version) FROM chain_checkpoints c WHERE c.stream_id = s.id), 0)
                """));
            Assert.True(await demo.Database.ScalarAsync<long>("SELECT count(*) FROM streams") > 0);
        }
        finally
        {
            await demo.Database.DisposeAsync();
        }
    }

    [Fact]
    public async Task Each_store_anchor_is_logged_so_the_operators_log_witnesses_the_newest()
    {
        var demo = new DemoHost();
        await demo.InitializeAsync();
        try
        {
            await demo.CallsEndedAsync();
            await demo.Host.DisposeAsync();

            var newest = await demo.Database.ScalarAsync<string>(
                "SELECT events || ' events up to seq ' || max_seq || ', signature ' || left(encode(signature, 'hex'), 16) FROM chain_anchors ORDER BY max_seq DESC LIMIT 1");
            Assert.Contains(demo.Logs.Lines, l => l.StartsWith("Information ", StringComparison.Ordinal) && l.Contains("Store anchored: " + newest, StringComparison.Ordinal));
        }
        finally
        {
            await demo.Database.DisposeAsync();
        }
    }
}
