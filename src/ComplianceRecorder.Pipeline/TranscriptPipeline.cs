using System.Collections.Concurrent;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Pipeline.Input;
using ComplianceRecorder.Pipeline.Normalization;
using ComplianceRecorder.Pipeline.Redaction;
using ComplianceRecorder.Pipeline.Tracking;

namespace ComplianceRecorder.Pipeline;

/// <summary>
/// The design card's sentence as one query: decoded notifications → per call (GroupByUntil, ended by
/// the call's end or its silence) → Scan coverage tracker (gaps, duplicates, restarts, missing finals)
/// → Select normalize + redact (one redaction session per call) → hold a final whose number is not
/// settled yet → events to record.
/// Time comes only from the injected scheduler.
/// </summary>
public static class TranscriptPipeline
{
    public static IObservable<RecordedEvent> Build(IObservable<SourceEvent> source, PipelineOptions options, IScheduler scheduler, ITranscriptArchive? archive = null, IRecordedFinals? recorded = null)
    {
        var shared = source.Publish().RefCount();

        var quarantined = shared
            .OfType<MalformedFrame>()
            .Select(m => Quarantine(m, options.QuarantineCap, options.Redaction, scheduler));

        var stopped = false;
        // who each call is with, kept from its announcement until its group ends (the group names the call with it
        // in CallStarted, whatever event starts it: a transcript, a disconnection, or the end of a silent call)
        var announced = new ConcurrentDictionary<string, CallAnnounced>(StringComparer.Ordinal);
        // calls a source holds, from its CallHeld to its CallFinished: kept outside the calls' groups, as a hold said
        // while an earlier end is remembered opens no group, yet the call's next record must be held all the same
        var held = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        // frames that come after their call's end are recorded as late, never as the call's speech again
        var ended = new EndedCalls(options.CallIdle, held.ContainsKey);
        var perCall = shared
            .Where(e => e is not MalformedFrame)
            .Do(e => Note(e, announced))
            .Do(e => Hold(e, held))
            .Select(e => (Event: e, After: ended.Route(e, scheduler.Now)))
            .Publish(routed => routed
                .Where(r => !r.After.Ended)
                .SelectMany(r => SplitPerCall(r.Event))
                // the source completes only when the recorder stops: open calls end for that reason, not for silence
                .Do(_ => { }, () => stopped = true)
                .GroupByUntil(
                    e => e.Call,
                    g => g.Where(e => e.Event is CallFinished).Merge(Idle(g, held, options.CallIdle, scheduler)).Take(1))
                .SelectMany(call => Call(call, announced.TryGetValue(call.Key, out var a) ? a : null, options, scheduler, archive, recorded, () => stopped)
                    .Finally(() => announced.TryRemove(call.Key, out _)))
                .Merge(routed.Where(r => r.After.Late is not null).Select(RecordedEvent (r) => r.After.Late!)));

        return perCall.Merge(quarantined);
    }

    private readonly record struct CallEvent(string Call, SourceEvent Event);

    /// <summary>
    /// A call silent for the idle time is let go, unless its source said it holds the call (<see cref="CallHeld"/>,
    /// an AudioHook session on it): that call ends only with the source's <see cref="CallFinished"/>.
    /// </summary>
    private static IObservable<CallEvent> Idle(IGroupedObservable<string, CallEvent> call, ConcurrentDictionary<string, byte> held, TimeSpan idle, IScheduler scheduler) =>
        call.Throttle(idle, scheduler).Where(_ => !held.ContainsKey(call.Key));

    private static void Hold(SourceEvent e, ConcurrentDictionary<string, byte> held)
    {
        switch (e)
        {
            case CallHeld h:
                held[h.ConversationId] = 0;
                break;
            case CallFinished f:
                held.TryRemove(f.ConversationId, out _);
                break;
        }
    }

    /// <summary>At most this many announcements wait for their call's group; past it the oldest go.</summary>
    internal const int AnnouncedCap = 10_000;

    private static void Note(SourceEvent e, ConcurrentDictionary<string, CallAnnounced> announced)
    {
        if (e is not CallAnnounced a)
        {
            return;
        }
        announced[a.ConversationId] = a;
        if (announced.Count > AnnouncedCap)
        {
            // announcements of calls that never had an event (or came after their end): not kept for ever
            foreach (var old in announced.Values.OrderBy(x => x.ReceivedAt).Take(announced.Count - AnnouncedCap / 2).ToList())
            {
                announced.TryRemove(old.ConversationId, out _);
            }
        }
    }

    /// <summary>One call, from its start to its end: tracked, backfilled, redacted, held.</summary>
    private static IObservable<RecordedEvent> Call(IGroupedObservable<string, CallEvent> call, CallAnnounced? who, PipelineOptions options, IScheduler scheduler,
        ITranscriptArchive? archive, IRecordedFinals? recorded, Func<bool> stopped)
    {
        var redaction = new RedactionSession(options.Redaction);
        var heard = new HeardLive();
        var firstHeard = true;
        // why the call ended, for the record: the source said so, or it went quiet, or the recorder stopped
        string? endReason = null;
        return call
            .Do(
                e =>
                {
                    if (e.Event is CallFinished f)
                    {
                        endReason = f.Reason;
                    }
                },
                () => endReason ??= stopped()
                    ? "the recorder stopped before the call's end was heard"
                    : "no transcript within the idle time: the call's end was not heard")
            .Select(e => e.Event)
            .Scan(new CoverageTracker(options.OffsetTolerance, options.ReorderWindow), (tracker, e) => tracker.Next(e))
            .SelectMany(tracker => tracker.Emitted.ToArray())
            .Do(heard.Note)
            .Concat(Observable.Defer(() => Backfill(call.Key, heard, archive, recorded, options.Redaction, scheduler)))
            .Select(item => item switch
            {
                TrackedTranscript t => Redact(t, Joined(t, redaction, ref firstHeard), scheduler),
                Redacted backfilled => backfilled,
                CoverageGapRecorded gap => Unheard(gap, redaction),
                RecordedEvent other => new Redacted(other),
                _ => throw new InvalidOperationException(item.GetType().Name),
            })
            .HoldUnsettled(options.HoldUnsettled, scheduler)
            // the agent's name is personal data like any other name: stored only where agents' names are kept
            .StartWith(new CallStarted(call.Key, "", scheduler.Now) { QueueId = who?.QueueId, AgentId = who?.AgentId, AgentName = options.Redaction.KeepAgentNames ? who?.AgentName : null })
            .Concat(Observable.Defer(() => Observable.Return<RecordedEvent>(new CallEnded(call.Key, endReason!, scheduler.Now))));
    }

    /// <summary>
    /// After a call that had recorded gaps, what Genesys stored of it and was not heard live is
    /// recorded as backfilled segments. A failed fetch leaves the gaps as they were recorded and is
    /// itself recorded with its reason.
    /// </summary>
    /// <summary>How long backfill waits for the store's finals of a call before going on with what this process heard.</summary>
    private static readonly TimeSpan RecordedFinalsTimeout = TimeSpan.FromSeconds(3);

    private static IObservable<object> Backfill(string call, HeardLive heard, ITranscriptArchive? archive, IRecordedFinals? recorded, RedactionOptions redaction, IScheduler scheduler) =>
        archive is null || heard.Gaps == 0 || heard.CommunicationId is not { } communication
            ? Observable.Empty<object>()
            : Observable.FromAsync(async ct =>
                {
                    var stored = await archive.FetchAsync(call, communication, ct).ConfigureAwait(false);
                    // what this process heard is in memory; what a killed or parallel recorder heard is only in the store
                    if (recorded is not null)
                    {
                        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        bounded.CancelAfter(RecordedFinalsTimeout);
                        try
                        {
                            heard.NoteRecorded(await recorded.FinalsAsync(call, bounded.Token).ConfigureAwait(false));
                        }
                        catch (Exception e) when (!ct.IsCancellationRequested && e is not OutOfMemoryException)
                        {
                            // the store cannot say what others heard: a phrase recorded twice (marked backfilled) beats one lost
                        }
                    }
                    return stored;
                })
                .SelectMany(stored => RedactInContext(stored, heard, redaction, scheduler))
                .Catch((Exception e) => Observable.Return<object>(new BackfillFailed(call, BackfillReason(e), scheduler.Now)));

    /// <summary>
    /// A lost answer is sensitive because of the question before it ("the three digits on the back?"),
    /// which by the call's end lies many turns back. So the whole stored transcript is read in the order
    /// it was said, through a redaction session of its own, and only the phrases not heard live are kept,
    /// each redacted as it would have been live (a card read over two phrases included).
    /// </summary>
    private static IEnumerable<object> RedactInContext(IReadOnlyList<TranscriptReceived> stored, HeardLive heard, RedactionOptions redaction, IScheduler scheduler)
    {
        var session = new RedactionSession(redaction);
        var results = new RedactionResult[stored.Count];
        var lastOf = new Dictionary<Speaker, int>();
        for (var i = 0; i < stored.Count; i++)
        {
            var speaker = SpeakerOf(stored[i]);
            results[i] = session.Redact(TextNormalizer.Normalize(stored[i].Text), speaker, isFinal: true);
            if (results[i].CorrectsPrevious is { } corrected && lastOf.TryGetValue(speaker, out var previous))
            {
                results[previous] = corrected;
            }
            lastOf[speaker] = i;
        }
        // finals read back from the store are redacted: they are matched against the phrases redacted the same way
        var keep = heard.Unheard(stored, Array.ConvertAll(results, r => r.Text)).ToHashSet(ReferenceEqualityComparer.Instance);
        var kept = new List<object>(keep.Count);
        for (var i = 0; i < stored.Count; i++)
        {
            if (keep.Contains(stored[i]))
            {
                kept.Add(new Redacted(Segment(new TrackedTranscript(stored[i], 0), results[i], scheduler)));
            }
        }
        return kept;
    }

    /// <summary>The archive's exceptions name a status or a missing field, never transcript text; capped all the same.</summary>
    private static string BackfillReason(Exception e)
    {
        var reason = $"{e.GetType().Name}: {e.Message}";
        return reason.Length > 300 ? reason[..300] : reason;
    }

    private static IEnumerable<CallEvent> SplitPerCall(SourceEvent e) => e switch
    {
        TranscriptReceived t => [new CallEvent(t.ConversationId, t)],
        CallFinished f => [new CallEvent(f.ConversationId, f)],
        CallHeld h => [new CallEvent(h.ConversationId, h)],
        SourceDisconnected d => d.ConversationIds.Select(c => new CallEvent(c, d with { ConversationIds = [c] })),
        _ => [],
    };

    /// <summary>
    /// The first transcript this recorder hears of a call: one said <see cref="JoinedLate"/> or more into the call means it
    /// joined late (started, restarted or took the call over mid-way: another instance may have heard the start, so no gap
    /// says so), and what was asked before it is unknown to the call's redaction.
    /// </summary>
    private static RedactionSession Joined(TrackedTranscript t, RedactionSession session, ref bool first)
    {
        if (first)
        {
            first = false;
            if (t.Transcript.OffsetMs >= JoinedLate.TotalMilliseconds)
            {
                session.Unheard();
            }
        }
        return session;
    }

    private static readonly TimeSpan JoinedLate = TimeSpan.FromSeconds(5);

    /// <summary>A gap is recorded as it is, and the call's redaction no longer knows what was last asked.</summary>
    private static Redacted Unheard(CoverageGapRecorded gap, RedactionSession session)
    {
        session.Unheard();
        return new Redacted(gap);
    }

    public static Redacted Redact(TrackedTranscript tracked, RedactionSession session, IScheduler scheduler)
    {
        var t = tracked.Transcript;
        // BOTH (the media dialect) or UNKNOWN: no final is known to be the agent's
        session.SpeakersUnknown |= t.Channel is not ("INTERNAL" or "EXTERNAL");
        var result = session.Redact(TextNormalizer.Normalize(t.Text), SpeakerOf(t), t.IsFinal);
        return new Redacted(Segment(tracked, result, scheduler), result.Unsettled, result.CorrectsPrevious);
    }

    private static Speaker SpeakerOf(TranscriptReceived t) => t.Channel == "INTERNAL" ? Speaker.Agent : Speaker.Customer;

    private static SegmentRecorded Segment(TrackedTranscript tracked, RedactionResult result, IScheduler scheduler)
    {
        var t = tracked.Transcript;
        return new SegmentRecorded(
            t.ConversationId, t.Channel, t.UtteranceId, tracked.Revision, t.IsFinal, result.Text,
            t.Text.Length, result.Text.Length, CountTokens(result.Text), CountEntities(result), t.OffsetMs, t.DurationMs,
            t.Sequence, t.MediaSessionId, t.SourceTime, t.ReceivedAt, scheduler.Now,
            t.SourceTime is { } st ? (t.ReceivedAt - st).TotalMilliseconds : null, t.Backfilled, t.Dialect);
    }

    /// <summary>The same segment with a later, stricter redaction of its text.</summary>
    public static SegmentRecorded WithRedaction(SegmentRecorded s, RedactionResult result) =>
        s with { Text = result.Text, RedactedLength = result.Text.Length, Tokens = CountTokens(result.Text), Entities = CountEntities(result) };

    private static Dictionary<string, int> CountEntities(RedactionResult result)
    {
        var entities = new Dictionary<string, int>(result.Entities.Length);
        foreach (var e in result.Entities)
        {
            entities[e.Type.Name()] = entities.TryGetValue(e.Type.Name(), out var n) ? n + 1 : 1;
        }
        return entities;
    }

    private static int CountTokens(string text)
    {
        var tokens = 0;
        var inToken = false;
        foreach (var c in text)
        {
            var ws = char.IsWhiteSpace(c);
            if (!ws && !inToken)
            {
                tokens++;
            }
            inToken = !ws;
        }
        return tokens;
    }

    private static FrameQuarantined Quarantine(MalformedFrame m, int cap, RedactionOptions redaction, IScheduler scheduler)
    {
        // a malformed frame may still hold a card number: it is redacted like any utterance
        var raw = m.Raw.Length > cap ? m.Raw[..cap] : m.Raw;
        var redacted = new RedactionSession(redaction).Redact(raw, Speaker.Customer, isFinal: false).Text;
        return new FrameQuarantined(m.Reason, redacted, m.Length, m.ReceivedAt == default ? scheduler.Now : m.ReceivedAt);
    }
}
