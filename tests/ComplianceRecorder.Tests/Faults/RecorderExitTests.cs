using ComplianceRecorder.Emulator;
using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.Faults;

/// <summary>A recorder that cannot go on says so in its exit code, instead of hanging or exiting 0.</summary>
public sealed class RecorderExitTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task A_recorder_whose_store_cannot_take_appends_exits_non_zero_and_says_why()
    {
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 2 });
        await using var recorder = RecorderProcess.Start(RecorderProcess.Settings(emulator, db.ConnectionString));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'segment_recorded'") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "nothing recorded; the recorder printed:\n" + recorder.Output);
            await Task.Delay(100);
        }

        // the schema changes under the running recorder: no retry can make an append succeed now
        // (by the schema's owner: the recorder's own role can alter nothing)
        await using (var rename = db.OwnerDataSource.CreateCommand("ALTER FUNCTION append_events(text[], integer[], text[], integer[], jsonb[], jsonb[], text[], text, bigint) RENAME TO append_events_gone"))
        {
            await rename.ExecuteNonQueryAsync();
        }
        var code = await recorder.ExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(code == 4, $"exit code {code}; the recorder printed:\n{recorder.Output}");
        Assert.Contains("recording failed:", recorder.Output, StringComparison.Ordinal);
        Assert.Contains("append_events", recorder.Output, StringComparison.Ordinal);
    }
}
