namespace ComplianceRecorder.Genesys.Speech;

/// <summary>
/// A speech engine behind the AudioHook intake: one stream per channel of a call. The embedded default is
/// <see cref="PocketSphinxRecognizer"/>; a better engine (cloud or local) plugs in by implementing this and
/// registering it as a service before <c>AddComplianceRecorder</c>.
/// </summary>
public interface ISpeechRecognizer
{
    /// <summary>Called off the socket's reader, on the channel's own worker: it may block (load a model, connect).</summary>
    ISpeechStream Open(SpeechStreamInfo info);
}

/// <summary>What one stream will hear: 16-bit linear PCM, mono, at <see cref="SampleRate"/> (8000 from AudioHook).</summary>
public sealed record SpeechStreamInfo(string ConversationId, string Channel, string Language, int SampleRate);

/// <summary>
/// One channel's audio in order. Each call may add hypotheses to <c>output</c>: partials of the utterance being
/// spoken, then its final. Offsets are from the stream's first sample. Calls come one at a time, never
/// concurrently, from one worker; disposing ends the stream (a final not yet given is dropped).
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
