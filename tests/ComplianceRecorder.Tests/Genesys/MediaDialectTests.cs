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

/// <summary>The seed tutorial's dialect, client and emulator over real sockets, into real PostgreSQL.</summary>
public sealed class MediaDialectTests(Database db) : IClassFixture<Database>
{
    [Theory]
    [InlineData("us-west-2", "opus", "en-US", "Transcription is not available in region us-west-2")]
    [InlineData("us-east-1", "g722", "en-US", "Codec g722 does not support real-time transcription")]
    [InlineData("eu-west-1", "pcmu", "pt-BR", "Language pt-BR is not supported for real-time transcription")]
    public void Sessions_are_validated_with_the_tutorials_messages(string region, string codec, string language, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => MediaSource.Validate(new GenesysOptions { Region = region, Codec = codec, Language = language }));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task Skipped_and_duplicated_messages_become_sequence_gaps_and_single_events()
    {
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 20 });
        emulator.Faults.SkipRate = 0.08;
        emulator.Faults.DuplicateRate = 0.1;
        using var http = new HttpClient();
        var options = emulator.MediaOptions();
        var source = new MediaSource(http, options, TimeProvider.System, NullLogger.Instance);
        var committer = new GroupCommitter(db.Store("media"), NullLogger.Instance, TimeProvider.System);
        await using (var recorder = new Recorder(source.Events(), committer, new PipelineOptions(), DefaultScheduler.Instance, NullLogger.Instance))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended'") < options.MediaSessionIds.Count)
            {
                await Task.Delay(200);
            }
        }

        var sent = emulator.Sent.GetValueOrDefault("partial") + emulator.Sent.GetValueOrDefault("final");
        var skipped = emulator.Sent.GetValueOrDefault("skipped");
        Assert.True(skipped > 0 && emulator.Sent.GetValueOrDefault("duplicate") > 0, "the faults happened");
        Assert.Equal(options.MediaSessionIds.Count, (int)await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'call_ended'"));
        // every message sent once is recorded once, duplicates included
        Assert.Equal(sent, (int)await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'segment_recorded'"));
        Assert.Equal(sent, (int)await db.ScalarAsync<long>("SELECT count(DISTINCT (stream_id, source_key)) FROM events WHERE type = 'segment_recorded'"));
        // every skip before a stream's last message is a recorded gap with its count
        var lost = await db.ScalarAsync<long>("SELECT coalesce(sum(lost_count), 0) FROM audit_gaps WHERE kind = 'SequenceGap'");
        Assert.InRange(lost, 1, skipped);
        Assert.DoesNotContain("5555 5555", await db.ScalarAsync<string>("SELECT string_agg(data->>'text', ' ') FROM events WHERE type = 'segment_recorded'"), StringComparison.Ordinal);
        Assert.True((await ChainVerifier.VerifyAsync(db.DataSource)).Ok);
    }
}
