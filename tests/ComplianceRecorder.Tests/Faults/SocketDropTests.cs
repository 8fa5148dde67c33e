using System.Net.WebSockets;
using System.Reactive.Concurrency;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Genesys;
using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Recording;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComplianceRecorder.Tests.Faults;

/// <summary>The Genesys socket is dropped every second and a half, abruptly or with a close frame, all through the calls.</summary>
public sealed class SocketDropTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task Each_drop_is_a_recorded_interval_nothing_is_doubled_after_resubscribing_and_backfill_completes_every_call()
    {
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 4 });
        using var http = new HttpClient();
        // a call whose end is lost in a drop is let go after three silent seconds, by the source and the pipeline alike
        var source = new NotificationsSource(http, emulator.ClientOptions() with { CallSilence = TimeSpan.FromSeconds(3) }, TimeProvider.System, NullLogger.Instance);
        var archive = new TranscriptArchive(source.Rest, TimeProvider.System, NullLogger.Instance);
        var committer = new GroupCommitter(db.Store("drops"), NullLogger.Instance, TimeProvider.System);
        var calls = emulator.Scenario.Calls.Count;
        var drops = new List<DateTimeOffset>();
        await using (var recorder = new Recorder(source.Events(), committer, new PipelineOptions { CallIdle = TimeSpan.FromSeconds(3) }, DefaultScheduler.Instance, NullLogger.Instance, archive))
        {
            while (await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'segment_recorded'") == 0)
            {
                await Task.Delay(50);
            }
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended'") < calls && DateTime.UtcNow < deadline)
            {
                await Task.Delay(1500);
                if (source.Connected && await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_started'") > await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended'"))
                {
                    drops.Add(DateTimeOffset.UtcNow);
                    if (drops.Count % 2 == 0)
                    {
                        emulator.DropSockets();
                    }
                    else
                    {
                        await emulator.CloseSocketsAsync(WebSocketCloseStatus.EndpointUnavailable, "idle timeout");
                    }
                }
            }
        }

        Assert.True(drops.Count >= 3, $"{drops.Count} drops");
        Assert.True(source.Reconnects >= drops.Count);
        foreach (var at in drops)
        {
            Assert.True(await db.ScalarAsync<long>($"""
                SELECT count(*) FROM events WHERE type = 'coverage_gap_recorded' AND data->>'kind' = 'Disconnected'
                   AND (data->>'from')::timestamptz <= '{at.AddMilliseconds(50):O}' AND (data->>'to')::timestamptz >= '{at.AddMilliseconds(-50):O}'
                """) > 0, $"the drop at {at:O} is a recorded interval");
        }
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) - count(DISTINCT (stream_id, source_key)) FROM events WHERE source_key IS NOT NULL"));
        Assert.Equal(emulator.Scenario.Calls.Sum(c => c.Utterances.Count), (int)await db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE is_final"));
        Assert.Equal(1, emulator.ChannelsCreated);
    }
}
