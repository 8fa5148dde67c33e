using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace ComplianceRecorder.Genesys.Speech;

/// <summary>
/// The embedded recognizer: CMU PocketSphinx (Debian's libpocketsphinx3 with the pocketsphinx-en-us
/// model), no network. Its acoustic model is wideband, so 8 kHz telephone audio is upsampled to 16 kHz
/// (its upper band stays empty, which costs accuracy: see the README for the word error rate measured).
/// Loading a decoder takes a second or more, so decoders are pooled and reused across calls (a few kept
/// idle, the rest freed: each holds about 90 MB). Utterances are cut by the decoder's own voice-activity detection.
/// Decoding is synchronous native work: it runs on threads of the recognizer's own, one per core (more would
/// not decode faster), and each stream's calls await it there, so no pool thread is ever blocked by it.
/// </summary>
public sealed class PocketSphinxRecognizer : ISpeechRecognizer, IDisposable
{
    public const string DefaultModel = "/usr/share/pocketsphinx/model/en-us";

    // two calls' worth kept loaded for the next calls; any more are freed when their stream ends
    private const int KeepIdle = 4;

    private readonly ConcurrentBag<Decoder> _idle = [];
    private readonly BlockingCollection<Work> _work = [];
    private readonly Thread[] _threads;
    private readonly string _model;
    private readonly TimeSpan _partialEvery;
    private int _created;
    private int _live;

    public PocketSphinxRecognizer(string model = DefaultModel, TimeSpan? partialEvery = null)
    {
        _model = model;
        _partialEvery = partialEvery ?? TimeSpan.FromMilliseconds(500);
        if (!File.Exists(Path.Combine(model, "en-us.lm.bin")) || !File.Exists(Path.Combine(model, "cmudict-en-us.dict")) || !Directory.Exists(Path.Combine(model, "en-us")))
        {
            throw new ArgumentException($"no PocketSphinx en-us model in '{model}' (Debian: apt-get install pocketsphinx-en-us)");
        }
        _threads = [.. Enumerable.Range(0, Environment.ProcessorCount).Select(i => new Thread(Decode) { IsBackground = true, Name = $"pocketsphinx-{i}" })];
        Array.ForEach(_threads, t => t.Start());
    }

    /// <summary>Decoders loaded and not freed (in use or idle).</summary>
    public int DecodersLive => Volatile.Read(ref _live);

    /// <summary>One stream's call, decoded on one of the recognizer's threads.</summary>
    private readonly record struct Work(Stream Stream, ReadOnlyMemory<short> Audio, ICollection<SpeechHypothesis> Output, bool Complete);

    private void Decode()
    {
        foreach (var w in _work.GetConsumingEnumerable())
        {
            w.Stream.Run(w.Audio, w.Output, w.Complete);
        }
    }

    /// <summary>Decoders loaded so far (each is reused once its stream is disposed).</summary>
    public int DecodersCreated => Volatile.Read(ref _created);

    /// <summary>Loads one decoder now, so the first call does not wait for it (and a missing library fails the start).</summary>
    public void Warm() => _idle.Add(Create());

    public ISpeechStream Open(SpeechStreamInfo info)
    {
        if (info.SampleRate != 8000)
        {
            throw new ArgumentException($"the embedded recognizer takes 8 kHz audio, not {info.SampleRate} Hz");
        }
        // the decoder is taken (loaded if need be: a second) on a decoding thread, at the stream's first audio
        return new Stream(this, _partialEvery);
    }

    private Decoder Create()
    {
        var d = Decoder.Load(_model);
        Interlocked.Increment(ref _created);
        Interlocked.Increment(ref _live);
        return d;
    }

    private Decoder Take() => _idle.TryTake(out var d) ? d : Create();

    private void Return(Decoder d)
    {
        if (_idle.Count < KeepIdle && PocketSphinxNative.ps_end_utt(d.Handle) >= 0)
        {
            _idle.Add(d);
            return;
        }
        d.Dispose();
        Interlocked.Decrement(ref _live);
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        Array.ForEach(_threads, t => t.Join(TimeSpan.FromSeconds(5)));
        while (_idle.TryTake(out var d))
        {
            d.Dispose();
            Interlocked.Decrement(ref _live);
        }
    }

    private sealed unsafe class Decoder : IDisposable
    {
        // The library keeps its log stream in process-wide variables, and a decoder given a log file of its own (-logfn)
        // swapped that stream at its load: it fclose'd the FILE that decoders on other threads were writing to, and two
        // loads at once closed it twice (glibc aborted the process). So the log is turned off once for the process,
        // before the first load, and no decoder names a file: loads then touch no shared state but same-value settings.
        private static readonly Lock Silencing = new();
        private static volatile bool s_silenced;

        private nint _config;
        private nint _ps;

        public nint Handle => _ps;

        public double Confidence()
        {
            var log = PocketSphinxNative.ps_get_prob(_ps);
            return log == 0 ? double.NaN : PocketSphinxNative.logmath_exp(PocketSphinxNative.ps_get_logmath(_ps), log);
        }

        public static Decoder Load(string model)
        {
            if (!s_silenced)
            {
                lock (Silencing)
                {
                    // the decoder's log is not ours to keep: it would print every hypothesis (a card number among them)
                    PocketSphinxNative.err_set_logfp(0);
                    s_silenced = true;
                }
            }

            string[] args =
            [
                "-hmm", Path.Combine(model, "en-us"),
                "-lm", Path.Combine(model, "en-us.lm.bin"),
                "-dict", Path.Combine(model, "cmudict-en-us.dict"),
                "-samprate", "16000",
                // the first pass alone: about twice as fast, a little less accurate, and speed is what live captions need
                "-fwdflat", "no",
                "-bestpath", "no",
            ];
            var argv = new nint[args.Length];
            try
            {
                for (var i = 0; i < args.Length; i++)
                {
                    argv[i] = Marshal.StringToCoTaskMemUTF8(args[i]);
                }
                fixed (nint* p = argv)
                {
                    var config = PocketSphinxNative.cmd_ln_parse_r(0, PocketSphinxNative.ps_args(), args.Length, p, 1);
                    if (config == 0)
                    {
                        throw new InvalidOperationException("PocketSphinx refused its arguments");
                    }
                    var ps = PocketSphinxNative.ps_init(config);
                    if (ps == 0)
                    {
                        PocketSphinxNative.cmd_ln_free_r(config);
                        throw new InvalidOperationException($"PocketSphinx could not load the model in '{model}'");
                    }
                    return new Decoder { _config = config, _ps = ps };
                }
            }
            finally
            {
                foreach (var a in argv)
                {
                    Marshal.FreeCoTaskMem(a);
                }
            }
        }

        public void Dispose()
        {
            if (_ps != 0)
            {
                PocketSphinxNative.ps_free(_ps);
                PocketSphinxNative.cmd_ln_free_r(_config);
                _ps = 0;
            }
        }
    }

    /// <summary>One channel: 8 kHz in, doubled to 16 kHz, utterances cut where the decoder hears speech end.</summary>
    private sealed unsafe class Stream : ISpeechStream, IValueTaskSource
    {
        private const int Rate = 8000;

        private readonly PocketSphinxRecognizer _owner;
        private readonly long _partialEverySamples;
        private Decoder? _decoder;
        private short[] _wide = new short[3200];
        private short _last;
        private long _samples;
        private bool _inSpeech;
        private long _speechStart;
        private long _lastPartialAt;
        private string _lastPartial = "";
        private int _utterance;
        private bool _disposed;
        private int _busy;
        // one call at a time per stream (the interface's promise), so one reusable completion: no allocation per chunk
        private ManualResetValueTaskSourceCore<bool> _done = new() { RunContinuationsAsynchronously = true };

        public Stream(PocketSphinxRecognizer owner, TimeSpan partialEvery)
        {
            _owner = owner;
            _partialEverySamples = (long)(partialEvery.TotalSeconds * Rate);
        }

        public ValueTask AcceptAsync(ReadOnlyMemory<short> audio, ICollection<SpeechHypothesis> output, CancellationToken ct) => Post(audio, output, complete: false);

        public ValueTask CompleteAsync(ICollection<SpeechHypothesis> output, CancellationToken ct) => Post(default, output, complete: true);

        private ValueTask Post(ReadOnlyMemory<short> audio, ICollection<SpeechHypothesis> output, bool complete)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // one decoder on two threads corrupts native memory: a second call before the first was awaited is refused
            if (Interlocked.Exchange(ref _busy, 1) != 0)
            {
                throw new InvalidOperationException("a speech stream takes one call at a time: the last one has not been awaited");
            }
            _done.Reset();
            try
            {
                _owner._work.Add(new Work(this, audio, output, complete));
            }
            catch
            {
                // the recognizer is stopping: nothing was queued, so nothing runs
                Volatile.Write(ref _busy, 0);
                throw;
            }
            return new ValueTask(this, _done.Version);
        }

        /// <summary>On a decoding thread.</summary>
        public void Run(ReadOnlyMemory<short> audio, ICollection<SpeechHypothesis> output, bool complete)
        {
            try
            {
                if (complete)
                {
                    CompleteNow(output);
                }
                else
                {
                    AcceptNow(audio.Span, output);
                }
                _done.SetResult(true);
            }
            catch (Exception e)
            {
                _done.SetException(e);
            }
        }

        void IValueTaskSource.GetResult(short token)
        {
            try
            {
                _done.GetResult(token);
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _done.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _done.OnCompleted(continuation, state, token, flags);

        private void AcceptNow(ReadOnlySpan<short> samples, ICollection<SpeechHypothesis> output)
        {
            if (_decoder is null)
            {
                _decoder = _owner.Take();
                Check(PocketSphinxNative.ps_start_utt(_decoder.Handle), "ps_start_utt");
            }
            var ps = _decoder.Handle;
            if (_wide.Length < samples.Length * 2)
            {
                _wide = new short[samples.Length * 2];
            }
            // linear interpolation to 16 kHz: the model's lower band is what telephone audio carries
            for (var i = 0; i < samples.Length; i++)
            {
                _wide[2 * i] = (short)((_last + samples[i]) / 2);
                _wide[(2 * i) + 1] = samples[i];
                _last = samples[i];
            }
            fixed (short* p = _wide)
            {
                Check(PocketSphinxNative.ps_process_raw(ps, p, (nuint)(samples.Length * 2), 0, 0), "ps_process_raw");
            }
            _samples += samples.Length;
            var speaking = PocketSphinxNative.ps_get_in_speech(ps) != 0;
            if (speaking && !_inSpeech)
            {
                _inSpeech = true;
                _speechStart = Math.Max(0, _samples - samples.Length);
                _lastPartialAt = _samples;
                _lastPartial = "";
            }
            else if (speaking && _samples - _lastPartialAt >= _partialEverySamples)
            {
                _lastPartialAt = _samples;
                var text = Hypothesis(ps);
                if (text.Length > 0 && text != _lastPartial)
                {
                    _lastPartial = text;
                    output.Add(new SpeechHypothesis(_utterance, text, false, At(_speechStart), At(_samples - _speechStart), double.NaN));
                }
            }
            else if (!speaking && _inSpeech)
            {
                EndUtterance(ps, output);
                Check(PocketSphinxNative.ps_start_utt(ps), "ps_start_utt");
            }
        }

        private void CompleteNow(ICollection<SpeechHypothesis> output)
        {
            if (_decoder is { } d && _inSpeech)
            {
                EndUtterance(d.Handle, output);
                Check(PocketSphinxNative.ps_start_utt(d.Handle), "ps_start_utt");
            }
        }

        private void EndUtterance(nint ps, ICollection<SpeechHypothesis> output)
        {
            Check(PocketSphinxNative.ps_end_utt(ps), "ps_end_utt");
            _inSpeech = false;
            var text = Hypothesis(ps);
            // an utterance that showed a partial gets its final even when the decoder settled on nothing,
            // so no partial is left open; one that showed nothing and says nothing was noise
            if (text.Length > 0 || _lastPartial.Length > 0)
            {
                output.Add(new SpeechHypothesis(_utterance, text, true, At(_speechStart), At(_samples - _speechStart), _decoder!.Confidence()));
                _utterance++;
            }
            _lastPartial = "";
        }

        private static string Hypothesis(nint ps)
        {
            var p = PocketSphinxNative.ps_get_hyp(ps, out _);
            return p == 0 ? "" : DigitFillers.Drop(Marshal.PtrToStringUTF8(p) ?? "");
        }

        private static TimeSpan At(long samples) => TimeSpan.FromTicks(samples * TimeSpan.TicksPerSecond / Rate);

        private static void Check(int result, string call)
        {
            if (result < 0)
            {
                throw new InvalidOperationException($"PocketSphinx {call} failed ({result})");
            }
        }

        /// <summary>After the last call was awaited (the interface's promise): the decoder is not in use.</summary>
        public void Dispose()
        {
            _disposed = true;
            if (Volatile.Read(ref _busy) != 0)
            {
                // its call is still decoding on a recognizer thread: the decoder cannot be taken from under it (it is lost instead)
                return;
            }
            if (_decoder is { } d)
            {
                _decoder = null;
                _owner.Return(d);
            }
        }
    }
}
