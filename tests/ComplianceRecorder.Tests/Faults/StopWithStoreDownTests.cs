using System.Text.RegularExpressions;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.Infrastructure;
using Npgsql;

namespace ComplianceRecorder.Tests.Faults;

/// <summary>SIGTERM while the recorder's PostgreSQL is stopped: what cannot be committed is spilled, and the next start appends it.</summary>
public sealed partial class StopWithStoreDownTests(PrivateCluster cluster) : IClassFixture<PrivateCluster>, IDisposable
{
    private readonly string _spill = Path.Combine(Path.GetTempPath(), "cr-spill-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task Stopping_with_the_store_down_spills_what_is_left_and_exits_and_the_next_start_appends_it_once()
    {
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 2, Loop = false });
        // a stopped server refuses connections at once; the timeouts only need to survive a loaded machine at start
        var settings = RecorderProcess.Settings(emulator, new NpgsqlConnectionStringBuilder(cluster.Server.RecorderConnectionString()) { Timeout = 15, CommandTimeout = 15 }.ConnectionString);
        settings["ConnectionStrings:EventStoreOwner"] = cluster.ConnectionString;
        settings["Recorder:SpillDirectory"] = _spill;
        await using (var first = RecorderProcess.Start(settings))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await FinalsAsync() < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "nothing recorded; the recorder printed:\n" + first.Output);
                await Task.Delay(100);
            }

            await cluster.Server.StopAsync();
            // speech goes on while the store is down: the recorder now holds finals it cannot commit
            var sentAtStop = emulator.Sent.GetValueOrDefault("final");
            while (emulator.Sent.GetValueOrDefault("final") < sentAtStop + 2)
            {
                Assert.True(DateTime.UtcNow < deadline.AddSeconds(60), "the emulator sent nothing more");
                await Task.Delay(100);
            }
            var code = await first.TerminateAsync(TimeSpan.FromSeconds(60));

            var spilled = Spilled().Match(first.Output);
            Assert.True(code == 5 && spilled.Success, $"exit code {code}; the recorder printed:\n{first.Output}");
            Assert.True(int.Parse(spilled.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 2, first.Output);
        }

        var file = Assert.Single(Directory.GetFiles(_spill, "spill-*.jsonl"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
        var events = SpillFile.Read(file).Events;
        Assert.Contains(events, e => e is SegmentRecorded { IsFinal: true });

        await cluster.Server.RestartAsync();
        await using (var second = RecorderProcess.Start(settings))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (File.Exists(file) || !second.Output.Contains("Live captions", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, "the spill file was not appended; the recorder printed:\n" + second.Output);
                await Task.Delay(100);
            }
            Assert.Equal(0, await second.TerminateAsync(TimeSpan.FromSeconds(60)));
        }

        // every spilled event is in the store exactly once
        await using var db = NpgsqlDataSource.Create(cluster.ConnectionString);
        foreach (var e in events.Where(e => e.SourceKey is not null))
        {
            await using var cmd = db.CreateCommand("SELECT count(*) FROM events WHERE stream_id = $1 AND source_key = $2");
            cmd.Parameters.AddWithValue(e.StreamId);
            cmd.Parameters.AddWithValue(e.SourceKey!);
            Assert.True((long)(await cmd.ExecuteScalarAsync())! == 1, $"{e.Type} {e.StreamId} {e.SourceKey}");
        }
        Assert.True((await ChainVerifier.VerifyAsync(db)).Ok);
    }

    private async Task<long> FinalsAsync()
    {
        try
        {
            return await cluster.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'segment_recorded' AND (data->>'isFinal')::boolean");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // the recorder has not migrated its store yet
            return 0;
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_spill))
        {
            Directory.Delete(_spill, recursive: true);
        }
    }

    [GeneratedRegex(@"(\d+) events spilled")]
    private static partial Regex Spilled();
}
