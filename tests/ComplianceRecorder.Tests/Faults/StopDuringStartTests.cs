using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.Infrastructure;
using Npgsql;

namespace ComplianceRecorder.Tests.Faults;

/// <summary>SIGTERM while the start replays an earlier stop's spill file into a store that does not take it.</summary>
public sealed class StopDuringStartTests : EmulatorAndDatabase
{
    [Fact]
    public async Task A_stop_during_a_stalled_spill_replay_exits_5_and_the_next_start_appends_each_spilled_event_once()
    {
        var spill = Path.Combine(Path.GetTempPath(), "cr-spill-" + Guid.NewGuid().ToString("N"));
        var at = DateTimeOffset.UtcNow;
        // report accesses carry no source key: appended twice, they would be recorded twice
        new SpillFile(spill).Write([.. Enumerable.Range(1, 3).Select(i => (RecordedEvent)new ReportAccessed("auditor", "/api/reports/audit", $"n={i}", at))]);
        var settings = Settings;
        settings["Recorder:SpillDirectory"] = spill;
        settings["Recorder:CommitSeconds"] = "2";

        // the owner holds the events table: reads go on, appends wait
        await using var owner = NpgsqlDataSource.Create(Db.OwnerConnectionString);
        await using (var holding = await owner.OpenConnectionAsync())
        {
            await using var tx = await holding.BeginTransactionAsync();
            await using (var lockEvents = new NpgsqlCommand("LOCK TABLE events IN EXCLUSIVE MODE", holding, tx))
            {
                await lockEvents.ExecuteNonQueryAsync();
            }
            await using (var first = RecorderProcess.Start(settings))
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (await WaitingOnLocksAsync(owner) == 0)
                {
                    Assert.True(DateTime.UtcNow < deadline, "the replay never reached the store; the recorder printed:\n" + first.Output);
                    await Task.Delay(100);
                }
                var code = await first.TerminateAsync(TimeSpan.FromSeconds(90));
                Assert.True(code == 5, $"exit code {code}; the recorder printed:\n{first.Output}");
            }
            await tx.RollbackAsync();
        }
        var files = Directory.GetFiles(spill, "*.jsonl");
        Assert.True(files.Length == 1, $"one spill file holds what was neither committed nor kept twice: {string.Join(", ", files.Select(Path.GetFileName))}");

        await using (var second = RecorderProcess.Start(settings))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (Directory.GetFiles(spill, "*.jsonl").Length > 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the spill file was never appended; the recorder printed:\n" + second.Output);
                await Task.Delay(100);
            }
            Assert.Equal(0, await second.TerminateAsync(TimeSpan.FromSeconds(60)));
        }
        Assert.Equal(3L, await Db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'report_accessed' AND data->>'what' = '/api/reports/audit' AND data->>'who' = 'auditor'"));
    }

    private static async Task<long> WaitingOnLocksAsync(NpgsqlDataSource owner)
    {
        await using var cmd = owner.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
