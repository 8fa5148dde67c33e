using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Testing;

/// <summary>
/// One call as the source would deliver it: frames placed at virtual times (milliseconds from the
/// run's start), and the faults a real socket shows: lost, redelivered and reordered frames, drops,
/// restarts, frames that cannot be decoded. <c>At</c> moves the script's clock; every frame after it
/// is delivered at that time, in the order written. The script only describes: a
/// <see cref="PipelineRun"/> plays it.
/// </summary>
public sealed class CallScript
{
    /// <summary>How long a scripted utterance lasts at least, when its frames do not say longer.</summary>
    private const long MinDurationMs = 300;

    private readonly List<Entry> _entries = [];
    private readonly Dictionary<string, string> _openUtterance = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _utteranceStart = new(StringComparer.Ordinal);
    private long _now;
    private long _nextSequence = 1;
    private int _utterances;

    internal CallScript(string conversationId, Dialect dialect)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(conversationId);
        ConversationId = conversationId;
        Dialect = dialect;
    }

    /// <summary>The call's conversation id.</summary>
    public string ConversationId { get; }

    /// <summary>The wire the call is heard over.</summary>
    public Dialect Dialect { get; }

    /// <summary>Frames after this are delivered <paramref name="milliseconds"/> after the run's start.</summary>
    public CallScript At(long milliseconds)
    {
        // frames are delivered in the order written; a clock going back would silently reorder them
        ArgumentOutOfRangeException.ThrowIfLessThan(milliseconds, _now);
        _now = milliseconds;
        return this;
    }

    /// <summary>Frames after this are delivered <paramref name="time"/> after the run's start.</summary>
    public CallScript At(TimeSpan time) => At((long)time.TotalMilliseconds);

    /// <summary>
    /// A partial transcript: a revision of the speaker's open utterance, or the start of a new one.
    /// <paramref name="utterance"/> names it instead (and leaves the speaker's open one as it was);
    /// <paramref name="offset"/> overrides its offset into the call, by default the time it began.
    /// </summary>
    public CallScript Partial(string text, string? channel = null, string? utterance = null, long? offset = null) =>
        Transcript(text, isFinal: false, channel, utterance, offset);

    /// <summary>A final transcript: it closes the speaker's open utterance (or <paramref name="utterance"/>).</summary>
    public CallScript Final(string text, string? channel = null, string? utterance = null, long? offset = null) =>
        Transcript(text, isFinal: true, channel, utterance, offset);

    /// <summary>The source says the call's transcription ended.</summary>
    public CallScript End(string reason = "SESSION_ENDED")
    {
        var call = ConversationId;
        return Add(null, (origin, delivered) => new CallFinished(call, reason, origin.AddMilliseconds(delivered)));
    }

    /// <summary>Media dialect: the next <paramref name="lost"/> eventSequence numbers are never delivered.</summary>
    public CallScript Gap(int lost = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lost, 1);
        RequireMedia(nameof(Gap));
        _nextSequence += lost;
        return this;
    }

    /// <summary>The last frame is delivered again, now, unchanged but for when it was received.</summary>
    public CallScript Redeliver() =>
        _entries.Count == 0 ? throw new InvalidOperationException("Redeliver needs a frame before it") : Again(_entries[^1]);

    /// <summary>The latest transcript frame saying <paramref name="text"/> is delivered again, now.</summary>
    public CallScript Redeliver(string text) =>
        Again(_entries.LastOrDefault(e => e.Text == text)
            ?? throw new InvalidOperationException($"no frame before Redeliver says \"{text}\""));

    /// <summary>
    /// The frame just scripted is delivered late: after the next <paramref name="after"/> frames, at
    /// the time of the last of them, keeping its own sequence number and source time.
    /// </summary>
    public CallScript OutOfOrder(int after = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(after, 1);
        if (_entries.Count == 0)
        {
            throw new InvalidOperationException("OutOfOrder needs a frame before it");
        }
        _entries[^1] = _entries[^1] with { DeliverAfter = after };
        return this;
    }

    /// <summary>
    /// The socket drops now and is back <paramref name="downFor"/> later, when the source reports the
    /// interval; the script's clock moves to the reconnect. Over the media dialect numbering starts
    /// again from 1, as a reconnect does.
    /// </summary>
    public CallScript SocketDrop(TimeSpan downFor, string reason = "socket dropped")
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(downFor, TimeSpan.Zero);
        var call = ConversationId;
        var from = _now;
        At(_now + (long)downFor.TotalMilliseconds);
        _nextSequence = 1;
        return Add(null, (origin, delivered) => new SourceDisconnected([call], origin.AddMilliseconds(from), reason, origin.AddMilliseconds(delivered)));
    }

    /// <summary>Media dialect: the source numbers from 1 again without a drop being seen.</summary>
    public CallScript Restart()
    {
        RequireMedia(nameof(Restart));
        _nextSequence = 1;
        return this;
    }

    /// <summary>A frame that could not be decoded (a poison frame): it is quarantined, never recorded as speech.</summary>
    public CallScript Malformed(string raw, string reason = "not JSON") =>
        Add(null, (origin, delivered) => new MalformedFrame(raw, raw.Length, reason, origin.AddMilliseconds(delivered)));

    /// <summary>Any other source event, made from the instant it is delivered.</summary>
    public CallScript Send(Func<DateTimeOffset, SourceEvent> frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return Add(null, (origin, delivered) => frame(origin.AddMilliseconds(delivered)));
    }

    /// <summary>The frames in the order they are delivered, for a run that starts at <paramref name="origin"/>.</summary>
    public IReadOnlyList<ScriptedFrame> Frames(DateTimeOffset origin)
    {
        var frames = new List<ScriptedFrame>(_entries.Count);
        var late = new List<(Entry Entry, int Left)>();
        foreach (var entry in _entries)
        {
            if (entry.DeliverAfter > 0)
            {
                late.Add((entry, entry.DeliverAfter));
                continue;
            }
            frames.Add(new ScriptedFrame(entry.At, entry.Make(origin, entry.At)));
            for (var i = 0; i < late.Count; i++)
            {
                late[i] = (late[i].Entry, late[i].Left - 1);
            }
            foreach (var (held, _) in late.Where(l => l.Left == 0).ToList())
            {
                frames.Add(new ScriptedFrame(entry.At, held.Make(origin, entry.At)));
            }
            late.RemoveAll(l => l.Left == 0);
        }
        // too few frames followed: what is still held goes out at the script's last time
        frames.AddRange(late.Select(l => new ScriptedFrame(_now, l.Entry.Make(origin, _now))));
        return frames;
    }

    private CallScript Transcript(string text, bool isFinal, string? channel, string? utterance, long? offset)
    {
        ArgumentNullException.ThrowIfNull(text);
        var call = ConversationId;
        var spokenAt = _now;
        if (Dialect == Dialect.Media)
        {
            var sequence = _nextSequence++;
            var stream = channel ?? Speakers.Both;
            // as the media decoder hands it over: numbered, unnamed utterances (the tracker names them), no offsets
            return Add(text, (origin, delivered) => new TranscriptReceived(call, stream, utterance ?? call, isFinal, text, offset ?? 0, 0,
                origin.AddMilliseconds(spokenAt), sequence, call, "media", false, origin.AddMilliseconds(delivered)));
        }

        var speaker = channel ?? Speakers.Customer;
        var id = utterance ?? (_openUtterance.TryGetValue(speaker, out var open) ? open : $"u{++_utterances}");
        if (utterance is null)
        {
            _openUtterance[speaker] = id;
        }
        if (isFinal && _openUtterance.TryGetValue(speaker, out var current) && current == id)
        {
            _openUtterance.Remove(speaker);
        }
        _utteranceStart.TryAdd(id, spokenAt);
        var start = _utteranceStart[id];
        var duration = Math.Max(MinDurationMs, spokenAt - start);
        return Add(text, (origin, delivered) => new TranscriptReceived(call, speaker, id, isFinal, text, offset ?? start, duration,
            origin.AddMilliseconds(spokenAt), null, null, "notifications", false, origin.AddMilliseconds(delivered))
        {
            CommunicationId = $"comm-{call}",
        });
    }

    private CallScript Again(Entry entry) => Add(entry.Text, entry.Make);

    private CallScript Add(string? text, Func<DateTimeOffset, long, SourceEvent> make)
    {
        _entries.Add(new Entry(_now, text, make));
        return this;
    }

    private void RequireMedia(string fault)
    {
        if (Dialect != Dialect.Media)
        {
            throw new InvalidOperationException(
                $"{fault} is a media-dialect fault: the notifications dialect does not number its frames (leave a Partial without its Final, or script a SocketDrop)");
        }
    }

    /// <summary>A frame made when the run's start is known; <c>Make(origin, deliveredAtMs)</c>.</summary>
    private sealed record Entry(long At, string? Text, Func<DateTimeOffset, long, SourceEvent> Make)
    {
        public int DeliverAfter { get; init; }
    }
}
