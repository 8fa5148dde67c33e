using System.Reactive.Concurrency;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Genesys;
using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Recording;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComplianceRecorder.Tests.Genesys;

/// <summary>The media dialect's stream numbers from 1 again after a reconnect: new speech is new, not a duplicate.</summary>
public sealed class MediaReconnectTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task After_a_socket_drop_mid_call_every_final_said_after_the_reconnect_is_recorded()
    {
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 10 });
        using var http = new HttpClient();
        var options = emulator.MediaOptions();
        var source = new MediaSource(http, options, TimeProvider.System, NullLogger.Instance);
        var committer = new GroupCommitter(db.Store("media-drop"), NullLogger.Instance, TimeProvider.System);
        const string Stream = "SELECT count(*) FROM events WHERE type = 'segment_recorded'";
        await using (var recorder = new Recorder(source.Events(), committer, new PipelineOptions(), DefaultScheduler.Instance, NullLogger.Instance))
        {
            await Until(async () => await db.ScalarAsync<long>(Stream) > 6);
            // the calls go on while the sockets are down; the new sockets number from 1 again
            emulator.DropSockets();
            await Until(async () => source.Reconnects >= 1
                && await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended'") == options.MediaSessionIds.Count);
        }

        var afterReconnect = emulator.Sent.GetValueOrDefault("final after a reconnect");
        Assert.True(afterReconnect > 0, "finals were said after the reconnect");
        // utterance ids are {session}:{epoch}:{n}: epoch 1 is the stream after the reconnect
        var recorded = await db.ScalarAsync<long>("""
            SELECT count(*) FROM events WHERE type = 'segment_recorded'
               AND (data->>'isFinal')::boolean AND substring(data->>'utteranceId' from ':(\d+):\d+$')::int > 0
            """);
        Assert.Equal(afterReconnect, (int)recorded);
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
