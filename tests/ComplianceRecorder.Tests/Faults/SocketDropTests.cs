using System.Net.WebSockets;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.Faults;

/// <summary>The Genesys socket is dropped every second and a half, abruptly or with a close frame, all through the calls.</summary>
public sealed class SocketDropTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task Each_drop_is_a_recorded_interval_nothing_is_doubled_after_resubscribing_and_backfill_completes_every_call()
    {
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 4 });
        var calls = emulator.Scenario.Calls.Count;
        var drops = new List<DateTimeOffset>();
        // a call whose end is lost in a drop is let go after three silent seconds
        var recording = new LiveRecording(emulator, db, "drops", callIdle: TimeSpan.FromSeconds(3), backfill: true);
        var source = recording.Source;
        await using (recording)
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
        // the client learns of a drop when its read fails, a moment after the test pulled the socket: on a loaded
        // machine that can be hundreds of milliseconds, so the interval must start within a second of the drop
        // (drops are 1.5 s apart, so it cannot be the next drop's) and still be open at it
        foreach (var at in drops)
        {
            Assert.True(await db.ScalarAsync<long>($"""
                SELECT count(*) FROM events WHERE type = 'coverage_gap_recorded' AND data->>'kind' = 'Disconnected'
                   AND (data->>'from')::timestamptz <= '{at.AddSeconds(1):O}' AND (data->>'to')::timestamptz >= '{at.AddMilliseconds(-50):O}'
                """) > 0, $"the drop at {at:O} is a recorded interval");
        }
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) - count(DISTINCT (stream_id, source_key)) FROM events WHERE source_key IS NOT NULL"));
        Assert.Equal(emulator.Scenario.Calls.Sum(c => c.Utterances.Count), (int)await db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE is_final"));
        Assert.Equal(1, emulator.ChannelsCreated);
    }
}
