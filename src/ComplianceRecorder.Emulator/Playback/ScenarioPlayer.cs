using ComplianceRecorder.Emulator.Notifications;

namespace ComplianceRecorder.Emulator.Playback;

/// <summary>
/// Plays the scenario on the wall clock at the scenario's speed: each call announced on its queue,
/// its transcript messages as the engine would send them, its end, and heartbeats between; again and
/// again when the scenario loops.
/// </summary>
internal sealed class ScenarioPlayer(Scenario scenario, EmulatorOptions options, NotificationsDialect notifications, PlayedCalls played)
{
    public async Task PlayAsync(CancellationToken ct)
    {
        // calls arrive once a recorder listens on the queue, so a test or demo never misses the first one
        var queueTopic = $"v2.routing.queues.{scenario.QueueId}.conversations";
        while (!ct.IsCancellationRequested && !notifications.Listening(queueTopic))
        {
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
        var timeline = new List<(long At, Func<Task> Send)>();
        do
        {
            timeline.Clear();
            var round = Guid.NewGuid().ToString("N")[..8];
            foreach (var call in scenario.Calls)
            {
                Schedule(timeline, call, round, queueTopic);
            }
            timeline.Sort((a, b) => a.At.CompareTo(b.At));
            var started = DateTimeOffset.UtcNow;
            var nextHeartbeat = TimeSpan.Zero;
            foreach (var (at, send) in timeline)
            {
                var due = started + TimeSpan.FromMilliseconds(at / options.Speed);
                while (DateTimeOffset.UtcNow < due)
                {
                    // the clock moves between the check and here: never a negative delay
                    var wait = TimeSpan.FromTicks(Math.Max(0, (due - DateTimeOffset.UtcNow).Ticks));
                    await Task.Delay(wait > TimeSpan.FromMilliseconds(200) ? TimeSpan.FromMilliseconds(200) : wait, ct).ConfigureAwait(false);
                    if (DateTimeOffset.UtcNow - started > nextHeartbeat)
                    {
                        nextHeartbeat += options.Heartbeat;
                        await notifications.HeartbeatAsync().ConfigureAwait(false);
                    }
                }
                await send().ConfigureAwait(false);
            }
            if (options.Loop)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(3000 / options.Speed), ct).ConfigureAwait(false);
            }
        }
        while (options.Loop && !ct.IsCancellationRequested);
    }

    /// <summary>One call's messages, at scenario milliseconds from the round's start.</summary>
    private void Schedule(List<(long At, Func<Task> Send)> timeline, ScriptedCall call, string round, string queueTopic)
    {
        // each round's calls are new calls: the round replaces the first part of the id and the rest tells the calls apart
        var id = options.Loop ? round + call.ConversationId[Math.Min(8, call.ConversationId.Length)..] : call.ConversationId;
        var communicationId = Guid.NewGuid().ToString();
        var callClock = new CallClock(options.Speed);
        var topic = $"v2.conversations.{id}.transcription";
        played.Add(id, communicationId, call, callClock);
        timeline.Add((call.StartMs, Announce));
        long end = call.StartMs;
        // transcripts start a moment after the call is announced, as transcription spins up
        foreach (var e in Transcriber.Emissions(call, options.Seed))
        {
            // at least a real second, so a recorder that subscribes on the queue event hears the first words even on a loaded machine
            var at = call.StartMs + (long)Math.Max(1000, 1000 * options.Speed) + e.AtMs;
            end = Math.Max(end, at);
            timeline.Add((at, () => notifications.PublishTranscriptAsync(topic,
                NotificationFrames.Envelope(topic, NotificationFrames.Transcript(id, communicationId, e, callClock)), e.IsFinal ? "final" : "partial")));
        }
        timeline.Add((end + 500, EndSession));
        timeline.Add((end + 600, () => notifications.PublishAsync(queueTopic,
            NotificationFrames.Envelope(queueTopic, NotificationFrames.QueueEvent(id, "disconnected", scenario.QueueId, call.Agent)), "queue")));

        Task Announce()
        {
            callClock.Start = DateTimeOffset.UtcNow;
            return notifications.PublishAsync(queueTopic, NotificationFrames.Envelope(queueTopic, NotificationFrames.QueueEvent(id, "connected", scenario.QueueId, call.Agent)), "queue");
        }

        async Task EndSession()
        {
            await notifications.ReleaseHeldBackAsync(topic).ConfigureAwait(false);
            // Genesys keeps the transcript once the call is over, not before
            played.End(id, communicationId);
            await notifications.PublishAsync(topic, NotificationFrames.Envelope(topic, NotificationFrames.SessionEnded(id, communicationId, end)), "ended").ConfigureAwait(false);
        }
    }
}
