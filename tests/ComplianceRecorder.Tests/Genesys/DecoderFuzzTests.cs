using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Text;
using ComplianceRecorder.Genesys;
using ComplianceRecorder.Pipeline;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Tests.Genesys;

/// <summary>Frames mangled every way a network or a buggy peer manages, through the decoder and the pipeline.</summary>
public sealed class DecoderFuzzTests
{
    private const string Valid = """
        {"topicName":"v2.conversations.c1.transcription","version":"2","eventBody":{"conversationId":"c1","sessionStartTimeMs":1795514400000,
        "status":{"offsetMs":0,"status":"SESSION_ONGOING"},"transcripts":[{"utteranceId":"u1","isFinal":true,"channel":"EXTERNAL",
        "alternatives":[{"confidence":0.9,"offsetMs":41230,"durationMs":1520,"transcript":"my card is 4111 1111 1111 1111"}]}]},"metadata":{"CorrelationId":"x"}}
        """;

    private static string Mutate(Random rnd, string frame)
    {
        switch (rnd.Next(9))
        {
            case 0:
                return frame[..rnd.Next(frame.Length)];
            case 1:
                var chars = frame.ToCharArray();
                for (var i = 0; i < 1 + rnd.Next(5); i++)
                {
                    chars[rnd.Next(chars.Length)] = (char)rnd.Next(32, 127);
                }
                return new string(chars);
            case 2:
                return frame.Replace("\"isFinal\":true", "\"isFinal\":\"yes\"", StringComparison.Ordinal);
            case 3:
                return frame.Replace("41230", rnd.Next(2) == 0 ? "1e400" : "99999999999999999999999", StringComparison.Ordinal);
            case 4:
                return new string('[', 1 + rnd.Next(200)) + new string(']', rnd.Next(200));
            case 5:
                return frame.Replace("my card is", new string('x', rnd.Next(100_000)), StringComparison.Ordinal);
            case 6:
                var bytes = new byte[rnd.Next(1, 200)];
                rnd.NextBytes(bytes);
                return Encoding.UTF8.GetString(bytes);
            case 7:
                return frame.Replace("\"transcripts\":[", "\"transcripts\":[null,", StringComparison.Ordinal);
            default:
                return frame.Replace("\"alternatives\":[", "\"alternatives\":[],\"x\":[", StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_hundred_thousand_mangled_frames_never_crash_and_each_bad_one_is_quarantined_with_its_reason()
    {
        var rnd = new Random(20261124);
        var now = new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);
        var decoded = new List<SourceEvent>();
        var malformed = 0;
        for (var i = 0; i < 100_000; i++)
        {
            var frame = Mutate(rnd, Valid);
            var events = NotificationDecoder.Decode(frame, now);
            // only a status-only message may decode to nothing
            Assert.True(events.Count > 0 || frame.Contains("\"status\":{", StringComparison.Ordinal), frame);
            foreach (var e in events)
            {
                if (e is MalformedFrame m)
                {
                    Assert.False(string.IsNullOrWhiteSpace(m.Reason));
                    Assert.True(m.Raw.Length <= 8192);
                    malformed++;
                }
            }
            decoded.AddRange(events.Where(e => e is MalformedFrame or TranscriptReceived));
        }
        Assert.InRange(malformed, 30_000, 100_000);

        // and through the pipeline: every malformed frame a quarantined event, nothing else lost, no card number kept
        var recorded = new List<RecordedEvent>();
        TranscriptPipeline.Build(decoded.ToObservable(), new PipelineOptions(), new HistoricalScheduler(now)).Subscribe(recorded.Add);

        var quarantined = recorded.OfType<FrameQuarantined>().ToList();
        Assert.Equal(malformed, quarantined.Count);
        Assert.DoesNotContain(quarantined, q => q.RedactedFrame.Contains("4111 1111 1111 1111", StringComparison.Ordinal));
        var leaked = recorded.OfType<SegmentRecorded>().Where(s => s.Text.Contains("4111", StringComparison.Ordinal)).Select(s => s.Text).ToList();
        Assert.True(leaked.Count == 0, string.Join("\n", leaked.Take(10)));
    }

    [Theory]
    [InlineData("v2.users.u1.presence", """{"presenceDefinition":{"systemPresence":"Available"}}""")]
    [InlineData("v2.routing.queues.q1.users", """{"id":"agent-1","joined":true}""")]
    [InlineData("v2.routing.queues.q1.conversations.extra", """{"id":"c9"}""")]
    [InlineData("v2.conversations.c1.x.transcription", """{"conversationId":"c1","status":{"status":"SESSION_ENDED"}}""")]
    public void A_topic_routed_only_by_exact_shape_an_unknown_one_is_neither_a_call_nor_malformed(string topic, string body)
    {
        var events = NotificationDecoder.Decode($$"""{"topicName":"{{topic}}","eventBody":{{body}}}""", DateTimeOffset.UnixEpoch);

        Assert.Equal(topic, Assert.IsType<UnknownTopic>(Assert.Single(events)).Topic);
    }

    [Fact]
    public void A_conversation_event_without_an_id_is_malformed_with_a_clear_reason()
    {
        var events = NotificationDecoder.Decode("""{"topicName":"v2.routing.queues.q1.conversations","eventBody":{"participants":[]}}""", DateTimeOffset.UnixEpoch);

        Assert.Contains("without a conversation id", Assert.IsType<MalformedFrame>(Assert.Single(events)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_queue_event_names_the_queue_and_the_agent_from_its_participants_and_one_without_an_agent_names_the_queue()
    {
        var answered = NotificationDecoder.Decode("""
            {"topicName":"v2.routing.queues.q1.conversations","eventBody":{"id":"c1","participants":[
              {"purpose":"customer","calls":[{"state":"connected"}]},
              {"purpose":"acd","queueId":"q1","calls":[{"state":"disconnected"}]},
              {"purpose":"agent","userId":"u-7","name":"Maya Okafor","queueId":"q1","calls":[{"state":"connected"}]}]}}
            """, DateTimeOffset.UnixEpoch);
        var waiting = NotificationDecoder.Decode("""
            {"topicName":"v2.routing.queues.q1.conversations","eventBody":{"id":"c2","participants":[
              {"purpose":"customer","calls":[{"state":"connected"}]},{"purpose":"acd","queueId":"q1","calls":[{"state":"connected"}]},
              {"purpose":"agent","userId":7,"calls":[]}]}}
            """, DateTimeOffset.UnixEpoch);

        var a = Assert.IsType<QueueCallChanged>(Assert.Single(answered));
        var w = Assert.IsType<QueueCallChanged>(Assert.Single(waiting));
        Assert.Equal(("c1", "q1", "u-7", "Maya Okafor"), (a.ConversationId, a.QueueId, a.AgentId, a.AgentName));
        Assert.Equal(("c2", "q1", null, null), (w.ConversationId, w.QueueId, w.AgentId, w.AgentName));
    }

    [Fact]
    public void After_a_transfer_the_agent_is_the_connected_one_with_its_own_id_and_name()
    {
        // the first agent's participant stays, disconnected and without a name; the second's has no id yet
        var transferred = NotificationDecoder.Decode("""
            {"topicName":"v2.routing.queues.q1.conversations","eventBody":{"id":"c3","participants":[
              {"purpose":"customer","calls":[{"state":"connected"}]},
              {"purpose":"agent","userId":"u-7","queueId":"q1","calls":[{"state":"disconnected"}]},
              {"purpose":"agent","name":"Luis Ortega","queueId":"q2","calls":[{"state":"connected"}]}]}}
            """, DateTimeOffset.UnixEpoch);

        var t = Assert.IsType<QueueCallChanged>(Assert.Single(transferred));
        Assert.Equal(("q2", null, "Luis Ortega"), (t.QueueId, t.AgentId, t.AgentName));
    }
}
