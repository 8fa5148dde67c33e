using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace ComplianceRecorder.Emulator.AudioHook;

/// <summary>
/// A scripted line as telephone audio: Debian's espeak-ng says it (a voice per speaker), sox brings it
/// to 8 kHz 16-bit mono. Each line is kept in a cache folder under its hash, so tests and demo rounds
/// synthesize it once.
/// </summary>
public static class SpeechSynthesis
{
    public static string DefaultCache { get; } = Path.Combine(Path.GetTempPath(), "compliance-recorder-speech");

    /// <summary>The agent and the customer sound different, as two people on a call do.</summary>
    public static string VoiceOf(string channel) => channel == "INTERNAL" ? "en-us" : "en-us+f3";

    public static async Task<short[]> SayAsync(string text, string voice, string? cache = null, CancellationToken ct = default)
    {
        cache ??= DefaultCache;
        Directory.CreateDirectory(cache);
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(voice + "\n" + text)))[..24];
        var raw = Path.Combine(cache, key + ".s16");
        if (!File.Exists(raw))
        {
            var wav = Path.Combine(cache, key + "." + Guid.NewGuid().ToString("N") + ".wav");
            var tmp = raw + "." + Guid.NewGuid().ToString("N");
            try
            {
                await RunAsync("espeak-ng", ["-v", voice, "-s", "150", "-w", wav, text], ct).ConfigureAwait(false);
                await RunAsync("sox", [wav, "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1", tmp], ct).ConfigureAwait(false);
                // renamed whole, so a concurrent reader never sees half a file
                File.Move(tmp, raw, overwrite: true);
            }
            finally
            {
                File.Delete(wav);
                File.Delete(tmp);
            }
        }
        var bytes = await File.ReadAllBytesAsync(raw, ct).ConfigureAwait(false);
        var samples = new short[bytes.Length / 2];
        Buffer.BlockCopy(bytes, 0, samples, 0, samples.Length * 2);
        return samples;
    }

    private static async Task RunAsync(string tool, string[] args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        var error = p.StandardError.ReadToEndAsync(ct);
        _ = await p.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} exited {p.ExitCode}: {await error.ConfigureAwait(false)} (Debian: apt-get install espeak-ng sox)");
        }
    }

    /// <summary>G.711 μ-law, as AudioHook carries it (the recorder decodes it with a table of its own).</summary>
    public static byte ToMuLaw(short sample)
    {
        const int Bias = 0x84;
        const int Clip = 32635;
        var sign = (sample >> 8) & 0x80;
        int s = sample;
        if (sign != 0)
        {
            s = -s;
        }
        s = Math.Min(s, Clip) + Bias;
        var exponent = 7;
        for (var mask = 0x4000; (s & mask) == 0 && exponent > 0; mask >>= 1)
        {
            exponent--;
        }
        var mantissa = (s >> (exponent + 3)) & 0x0F;
        return (byte)~(sign | (exponent << 4) | mantissa);
    }
}
