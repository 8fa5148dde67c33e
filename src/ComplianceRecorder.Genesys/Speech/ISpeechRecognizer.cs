namespace ComplianceRecorder.Genesys.Speech;

/// <summary>
/// A speech engine behind the AudioHook intake: one stream per channel of a call. The embedded default is
/// <see cref="PocketSphinxRecognizer"/>; a better engine (cloud or local) plugs in by implementing this and
/// registering it as a service before <c>AddComplianceRecorder</c>.
/// </summary>
public interface ISpeechRecognizer
{
    /// <summary>
    /// Called off the socket's reader, on a pool thread: it must not block. Anything slow (loading a model,
    /// connecting) belongs in the stream's async calls; an engine that blocks runs that part on threads of its own.
    /// </summary>
    ISpeechStream Open(SpeechStreamInfo info);
}

/// <summary>What one stream will hear: 16-bit linear PCM, mono, at <see cref="SampleRate"/> (8000 from AudioHook).</summary>
public sealed record SpeechStreamInfo(string ConversationId, string Channel, string Language, int SampleRate);

/// <summary>
/// One channel's audio in order. Each call may add hypotheses to <c>output</c>: partials of the utterance being
/// spoken, then its final. Offsets are from the stream's first sample. Calls come one at a time, never
/// concurrently, each awaited before the next, on pool threads: await, never block one (a synchronous engine
/// hands its work to threads of its own). Disposing ends the stream (a final not yet given is dropped).
/// </summary>
public interface ISpeechStream : IDisposable
{
    ValueTask AcceptAsync(ReadOnlyMemory<short> audio, ICollection<SpeechHypothesis> output, CancellationToken ct);

    /// <summary>No more audio: the utterance being spoken, if any, gets its final.</summary>
    ValueTask CompleteAsync(ICollection<SpeechHypothesis> output, CancellationToken ct);
}

/// <summary>
/// One revision of one utterance: <see cref="Utterance"/> numbers the stream's utterances from 0, and its
/// revisions share it; the final is its last. <see cref="Confidence"/> is 0..1 (NaN when the engine gives none).
/// </summary>
public readonly record struct SpeechHypothesis(int Utterance, string Text, bool IsFinal, TimeSpan Offset, TimeSpan Duration, double Confidence);
