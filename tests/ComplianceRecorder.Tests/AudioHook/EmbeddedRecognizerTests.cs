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
}
