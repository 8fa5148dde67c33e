using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace ComplianceRecorder.Genesys.Speech;

/// <summary>
/// The embedded recognizer: CMU PocketSphinx (Debian's libpocketsphinx3 with the pocketsphinx-en-us
/// model), no network. Its acoustic model is wideband, so 8 kHz telephone audio is upsampled to 16 kHz
/// (its upper band stays empty, which costs accuracy: see the README for the word error rate measured).
/// Loading a decoder takes a second or more, so decoders are pooled and reused across calls.
/// Utterances are cut by the decoder's own voice-activity detection.
/// </summary>
public sealed class PocketSphinxRecognizer : ISpeechRecognizer, IDisposable
{
    public const string DefaultModel = "/usr/share/pocketsphinx/model/en-us";

    private readonly ConcurrentBag<Decoder> _idle = [];
    private readonly string _model;
    private readonly TimeSpan _partialEvery;
    private int _created;

    public PocketSphinxRecognizer(string model = DefaultModel, TimeSpan? partialEvery = null)
    {
        _model = model;
        _partialEvery = partialEvery ?? TimeSpan.FromMilliseconds(500);
        if (!File.Exists(Path.Combine(model, "en-us.lm.bin")) || !File.Exists(Path.Combine(model, "cmudict-en-us.dict")) || !Directory.Exists(Path.Combine(model, "en-us")))
        {
            throw new ArgumentException($"no PocketSphinx en-us model in '{model}' (Debian: apt-get install pocketsphinx-en-us)");
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
        return new Stream(this, _idle.TryTake(out var d) ? d : Create(), _partialEvery);
    }

    private Decoder Create()
    {
        var d = Decoder.Load(_model);
        Interlocked.Increment(ref _created);
        return d;
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var d))
        {
            d.Dispose();
        }
    }

    private sealed unsafe class Decoder : IDisposable
    {
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
            string[] args =
            [
                "-hmm", Path.Combine(model, "en-us"),
                "-lm", Path.Combine(model, "en-us.lm.bin"),
                "-dict", Path.Combine(model, "cmudict-en-us.dict"),
                "-samprate", "16000",
                // the first pass alone: about twice as fast, a little less accurate, and speed is what live captions need
                "-fwdflat", "no",
                "-bestpath", "no",
                // the decoder's log is its own: it would print every hypothesis (a card number among them)
                "-logfn", "/dev/null",
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
    private sealed unsafe class Stream : ISpeechStream
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

        public Stream(PocketSphinxRecognizer owner, Decoder decoder, TimeSpan partialEvery)
        {
            _owner = owner;
            _decoder = decoder;
            _partialEverySamples = (long)(partialEvery.TotalSeconds * Rate);
            Check(PocketSphinxNative.ps_start_utt(decoder.Handle), "ps_start_utt");
        }

        public ValueTask AcceptAsync(ReadOnlyMemory<short> audio, ICollection<SpeechHypothesis> output, CancellationToken ct)
        {
            var ps = (_decoder ?? throw new ObjectDisposedException(nameof(ISpeechStream))).Handle;
            var samples = audio.Span;
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
            return ValueTask.CompletedTask;
        }

        public ValueTask CompleteAsync(ICollection<SpeechHypothesis> output, CancellationToken ct)
        {
            if (_decoder is { } d && _inSpeech)
            {
                EndUtterance(d.Handle, output);
                Check(PocketSphinxNative.ps_start_utt(d.Handle), "ps_start_utt");
            }
            return ValueTask.CompletedTask;
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

        public void Dispose()
        {
            if (_decoder is { } d)
            {
                _decoder = null;
                if (PocketSphinxNative.ps_end_utt(d.Handle) >= 0)
                {
                    _owner._idle.Add(d);
                }
                else
                {
                    d.Dispose();
                }
            }
        }
    }
}
