using System.Text;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Hosting;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Tests.Faults;

/// <summary>What a start does with spill files an earlier run left: whole, cut while being written, damaged, or holding open calls.</summary>
public sealed class SpillReplayTests(Database db) : IClassFixture<Database>, IDisposable
{
    private readonly string _spill = Path.Combine(Path.GetTempPath(), "cr-spill-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_damaged_or_cut_spill_file_is_appended_but_for_its_unreadable_lines_which_are_recorded_as_refused_and_the_file_is_set_aside()
    {
        var at = DateTimeOffset.UtcNow;
        var tag = Guid.NewGuid().ToString("N")[..8];
        // a file damaged after it was written: a good line, garbage, a good line
        var damaged = new SpillFile(_spill).Write([Access(tag, "a", at), Access(tag, "b", at)]);
        var lines = File.ReadAllLines(damaged);
        File.WriteAllText(damaged, lines[0] + "\n{\"stream\":\"x\",\u0000garbage\n" + lines[1] + "\n");
        // a file whose write a kill cut: never renamed, its last line torn
        var whole = File.ReadAllLines(new SpillFile(_spill).Write([Access(tag, "c", at), Access(tag, "d", at)]));
        foreach (var f in Directory.GetFiles(_spill, "*.jsonl").Where(f => f != damaged))
        {
            File.Delete(f);
        }
        var cut = Path.Combine(_spill, $"spill-{at:yyyyMMddTHHmmssfff}-1-{tag}.tmp");
        File.WriteAllText(cut, whole[0] + "\n" + whole[1][..(whole[1].Length / 2)], Encoding.UTF8);

        await using (await StartAsync())
        {
            Assert.Empty(Directory.GetFiles(_spill, "*.jsonl"));
            Assert.Empty(Directory.GetFiles(_spill, "*.tmp"));
        }

        // every readable line is in the store, and each unreadable one is named by file and line in its place
        Assert.Equal(3L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'report_accessed' AND data->>'query' LIKE '{tag}:%'"));
        var refused = await db.ScalarAsync<string>("SELECT string_agg(data->>'reason', ' | ' ORDER BY seq) FROM events WHERE type = 'event_refused' AND data->>'originalType' = 'spill_line'");
        Assert.Contains($"{Path.GetFileName(damaged)} line 2:", refused, StringComparison.Ordinal);
        Assert.Contains($"{Path.GetFileName(cut)} line 2:", refused, StringComparison.Ordinal);
        Assert.DoesNotContain("garbage", refused, StringComparison.Ordinal);
        // kept for whoever investigates, and never replayed again: a second start records nothing twice
        Assert.Equal(2, Directory.GetFiles(_spill, "*.unreadable").Length);
        await using (await StartAsync())
        {
        }
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'event_refused' AND data->>'originalType' = 'spill_line'"));
        Assert.Equal(3L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'report_accessed' AND data->>'query' LIKE '{tag}:%'"));
    }

    [Fact]
    public async Task A_call_only_an_earlier_stop_spilled_as_started_is_resumed_and_its_gap_runs_from_when_it_was_last_heard()
    {
        var call = "spilled-" + Guid.NewGuid().ToString("N")[..8];
        var started = DateTimeOffset.UtcNow.AddMinutes(-3);
        new SpillFile(_spill).Write([new CallStarted(call, "notifications", started)]);

        await using (await StartAsync())
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id = '{call}' AND type = 'coverage_gap_recorded'") == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the spilled call was not resumed");
                await Task.Delay(100);
            }
        }
        // the gap starts when the call was last heard, not when its spilled events reached the store
        var from = await db.ScalarAsync<DateTime>($"SELECT (data->>'from')::timestamptz FROM events WHERE stream_id = '{call}' AND type = 'coverage_gap_recorded' ORDER BY seq LIMIT 1");
        Assert.Equal(started.UtcDateTime, from.ToUniversalTime(), TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task A_call_an_earlier_stop_spilled_as_ended_is_not_resumed_while_one_it_left_open_is()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (ended, open) = ("ended-" + tag, "open-" + tag);
        var started = DateTimeOffset.UtcNow.AddMinutes(-3);
        new SpillFile(_spill).Write([
            new CallStarted(ended, "notifications", started), new CallStarted(open, "notifications", started),
            new CallEnded(ended, "disconnected", started.AddMinutes(1))]);

        await using (await StartAsync())
        {
        }
        // the stop drained the pipeline: a gap the resumption made is committed by now
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id = '{open}' AND type = 'coverage_gap_recorded'"));
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id = '{ended}' AND type = 'coverage_gap_recorded'"));
    }

    public void Dispose()
    {
        if (Directory.Exists(_spill))
        {
            Directory.Delete(_spill, recursive: true);
        }
    }

    private static ReportAccessed Access(string tag, string n, DateTimeOffset at) => new("auditor", "/api/reports/audit", $"{tag}:{n}", at);

    private Task<RecorderHost> StartAsync() => RecorderHost.StartAsync(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ConnectionStrings:EventStore"] = db.ConnectionString,
        ["Recorder:Url"] = "http://127.0.0.1:0",
        ["Recorder:CheckpointKey"] = Convert.ToBase64String(new byte[32]),
        ["Recorder:SpillDirectory"] = _spill,
        ["Emulator:Scenario"] = "idle:1",
        ["Emulator:Loop"] = "false",
    }).Build(), demo: true, logs: new CapturedLogs());
}
