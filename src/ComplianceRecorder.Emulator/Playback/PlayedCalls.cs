using System.Collections.Concurrent;

namespace ComplianceRecorder.Emulator.Playback;

/// <summary>Every call played so far, by conversation and communication, and whether it is over: what the archive serves from.</summary>
internal sealed class PlayedCalls
{
    private readonly ConcurrentDictionary<(string Conversation, string Communication), (ScriptedCall Call, CallClock Clock)> _stored = new();
    private readonly ConcurrentDictionary<(string Conversation, string Communication), bool> _ended = new();

    /// <summary>When each call played so far was announced.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> Announced => _stored.ToDictionary(s => s.Key.Conversation, s => s.Value.Clock.Start);

    public void Add(string conversation, string communication, ScriptedCall call, CallClock clock) => _stored[(conversation, communication)] = (call, clock);

    public void End(string conversation, string communication) => _ended[(conversation, communication)] = true;

    public bool Ended(string conversation, string communication) => _ended.ContainsKey((conversation, communication));

    public bool TryGet(string conversation, string communication, out (ScriptedCall Call, CallClock Clock) played) =>
        _stored.TryGetValue((conversation, communication), out played);
}
