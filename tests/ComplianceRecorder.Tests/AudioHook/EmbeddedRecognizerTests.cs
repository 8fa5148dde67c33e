using System.Diagnostics;
using ComplianceRecorder.Emulator.AudioHook;
using ComplianceRecorder.Genesys.Speech;
using Xunit.Abstractions;

namespace ComplianceRecorder.Tests.AudioHook;

/// <summary>PocketSphinx through P/Invoke on espeak-ng's telephone audio, μ-law both ways as AudioHook carries it.</summary>
public sealed class EmbeddedRecognizerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_synthesized_line_becomes_partials_then_one_final_with_its_offset()
    {
        var line = await SpeechSynthesis.SayAsync("It's four one one one, one one one one, one one one one, one one one one.", SpeechSynthesis.VoiceOf("EXTERNAL"));
        // a second of silence before it, then through μ-law as the socket carries it
        var audio = new short[8000 + line.Length + 8000];
        line.CopyTo(audio, 8000);
        for (var i = 0; i < audio.Length; i++)
        {
            audio[i] = MuLaw.Decode(SpeechSynthesis.ToMuLaw(audio[i]));
        }
        using var recognizer = new PocketSphinxRecognizer();
        var hypotheses = new List<SpeechHypothesis>();
        var watch = Stopwatch.StartNew();
        using (var stream = recognizer.Open(new SpeechStreamInfo("call", "EXTERNAL", "en-US", 8000)))
        {
            for (var at = 0; at < audio.Length; at += 1600)
            {
                await stream.AcceptAsync(audio.AsMemory(at, Math.Min(1600, audio.Length - at)), hypotheses, default);
            }
            await stream.CompleteAsync(hypotheses, default);
        }
        output.WriteLine($"{audio.Length / 8000.0:F1} s of audio in {watch.Elapsed.TotalSeconds:F1} s (decoder load included)");
        foreach (var h in hypotheses)
        {
            output.WriteLine($"{h.Utterance} {(h.IsFinal ? "final" : "partial")} {h.Offset.TotalSeconds:F2}+{h.Duration.TotalSeconds:F2} {h.Confidence:F2} '{h.Text}'");
        }

        var finals = hypotheses.Where(h => h.IsFinal).ToList();
        Assert.NotEmpty(finals);
        Assert.Contains(hypotheses, h => !h.IsFinal);
        // each utterance's revisions end with its final, and speech is placed after the second of silence
        Assert.All(hypotheses.GroupBy(h => h.Utterance), u => Assert.True(u.Last().IsFinal));
        Assert.InRange(finals[0].Offset.TotalSeconds, 0.5, 2.0);
        Assert.Contains("one", string.Join(' ', finals.Select(f => f.Text)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decoders_loaded_on_many_threads_while_others_decode_each_hear_what_one_alone_hears_and_the_library_logs_nothing()
    {
        // the library's log stream is process-wide: a decoder that opened a log file of its own at its load closed the
        // FILE that decoders on other threads were writing to (glibc aborted the whole process)
        var line = await SpeechSynthesis.SayAsync("one two three four five six seven eight nine.", SpeechSynthesis.VoiceOf("EXTERNAL"));
        var audio = new short[4000 + line.Length + 8000];
        line.CopyTo(audio, 4000);
        string alone;
        using (var one = new PocketSphinxRecognizer())
        {
            alone = await RecogniseAsync(one, audio);
        }
        Assert.NotEmpty(alone);
        Assert.Equal(0, PocketSphinxNative.err_get_logfp());

        var recognizers = Enumerable.Range(0, 4).Select(_ => new PocketSphinxRecognizer()).ToList();
        try
        {
            // twelve streams on four recognizers' threads: loads side by side, and beside decoding once the first are loaded
            var heard = await Task.WhenAll(recognizers.SelectMany(r => Enumerable.Range(0, 3).Select(_ => RecogniseAsync(r, audio))));
            Assert.Equal(12, recognizers.Sum(r => r.DecodersCreated));
            // decoding is deterministic: a fresh decoder hears the same audio the same way, whatever runs beside it
            Assert.All(heard, finals => Assert.Equal(alone, finals));
            Assert.Equal(0, PocketSphinxNative.err_get_logfp());
        }
        finally
        {
            recognizers.ForEach(r => r.Dispose());
        }
    }

    [Fact]
    public async Task A_second_call_on_a_stream_before_the_first_was_awaited_is_refused_not_decoded_on_a_second_thread()
    {
        using var recognizer = new PocketSphinxRecognizer();
        var hypotheses = new List<SpeechHypothesis>();
        using var stream = recognizer.Open(new SpeechStreamInfo("call", "EXTERNAL", "en-US", 8000));
        var audio = new short[1600];

        var first = stream.AcceptAsync(audio, hypotheses, default);
        // whether or not the first has finished decoding, it has not been awaited: its decoder may still be in use
        Assert.Throws<InvalidOperationException>(() => stream.AcceptAsync(audio, hypotheses, default));
        await first;
        await stream.AcceptAsync(audio, hypotheses, default);
        await stream.CompleteAsync(hypotheses, default);
    }

    private static async Task<string> RecogniseAsync(PocketSphinxRecognizer recognizer, short[] audio)
    {
        var hypotheses = new List<SpeechHypothesis>();
        using (var stream = recognizer.Open(new SpeechStreamInfo("call", "EXTERNAL", "en-US", 8000)))
        {
            for (var at = 0; at < audio.Length; at += 800)
            {
                await stream.AcceptAsync(audio.AsMemory(at, Math.Min(800, audio.Length - at)), hypotheses, default);
            }
            await stream.CompleteAsync(hypotheses, default);
        }
        return string.Join(' ', hypotheses.Where(h => h.IsFinal).Select(h => h.Text));
    }
}
