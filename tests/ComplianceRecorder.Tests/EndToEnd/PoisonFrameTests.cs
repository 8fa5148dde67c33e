using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.EndToEnd;

/// <summary>Frames carrying what PostgreSQL refuses (a NUL) come in mid-call; the calls around them are still recorded.</summary>
public sealed class PoisonFrameTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task Frames_with_a_NUL_are_recorded_safely_and_every_later_segment_of_every_call_is_recorded()
    {
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 4 });
        var expectedFinals = emulator.Scenario.Calls.Sum(c => c.Utterances.Count);
        var call = emulator.Scenario.Calls[0].ConversationId;
        await using (var recording = new LiveRecording(emulator, db, "poison"))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'segment_recorded'") == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "nothing recorded before the poison");
                await Task.Delay(50);
            }
            var before = await db.ScalarAsync<long>("SELECT max(seq) FROM events");

            // a raw NUL makes the frame invalid JSON: it is quarantined, NUL and all
            await emulator.InjectFrameAsync("{\"topicName\": \"v2.conversations." + call + ".transcription\", \"eventBody\": {\"transcripts\": [{\"alternatives\": [{\"transcript\": \"card\0 four\"}]}]}}");
            // an escaped \u0000 in a valid frame's utterance id
            await emulator.InjectFrameAsync("{\"topicName\": \"v2.conversations." + call + ".transcription\", \"version\": \"2\", \"eventBody\": {\"conversationId\": \"" + call
                + "\", \"communicationId\": \"poison-comm\", \"status\": {\"offsetMs\": 5000, \"status\": \"SESSION_ONGOING\"}, \"transcripts\": [{\"utteranceId\": \"poison\\u0000utt\", \"isFinal\": true, \"channel\": \"EXTERNAL\", \"alternatives\": [{\"confidence\": 0.9, \"offsetMs\": 5000, \"durationMs\": 400, \"transcript\": \"hello there\", \"decoratedTranscript\": \"hello there\"}]}]}}");

            deadline = DateTime.UtcNow.AddSeconds(90);
            while (await db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE is_final AND utterance_id NOT LIKE 'poison%'") < expectedFinals)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the calls stalled after the poison: {recording.Recorder.Summary()}");
                await Task.Delay(200);
            }
            Assert.False(recording.Recorder.StoreFailing);
            Assert.True(await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'frame_quarantined' AND seq > {before} AND data->>'redactedFrame' LIKE '%' || chr(65533) || '%'") >= 1);
            Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'segment_recorded' AND data->>'utteranceId' = 'poison' || chr(65533) || 'utt'"));
        }
        Assert.True((await ChainVerifier.VerifyAsync(db.DataSource)).Ok);
    }
}
