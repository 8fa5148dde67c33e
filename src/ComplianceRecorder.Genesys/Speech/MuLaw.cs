namespace ComplianceRecorder.Genesys.Speech;

/// <summary>G.711 μ-law to 16-bit linear PCM, by a 256-entry table (a frame costs one lookup per sample).</summary>
public static class MuLaw
{
    private static readonly short[] Table = Build();

    public static short Decode(byte b) => Table[b];

    private static short[] Build()
    {
        var t = new short[256];
        for (var i = 0; i < 256; i++)
        {
            var u = ~i & 0xFF;
            var exponent = (u >> 4) & 0x07;
            var mantissa = u & 0x0F;
            var magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
            t[i] = (short)((u & 0x80) != 0 ? -magnitude : magnitude);
        }
        return t;
    }
}
