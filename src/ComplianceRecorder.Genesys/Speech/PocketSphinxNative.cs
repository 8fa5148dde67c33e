using System.Runtime.InteropServices;

namespace ComplianceRecorder.Genesys.Speech;

/// <summary>Debian's libpocketsphinx3 (0.8+5prealpha) and libsphinxbase3: the few calls a streaming decoder needs.</summary>
internal static unsafe partial class PocketSphinxNative
{
    private const string Ps = "libpocketsphinx.so.3";
    private const string Base = "libsphinxbase.so.3";

    [LibraryImport(Ps)]
    public static partial nint ps_args();

    [LibraryImport(Base)]
    public static partial nint cmd_ln_parse_r(nint inout, nint defn, int argc, nint* argv, int strict);

    [LibraryImport(Base)]
    public static partial int cmd_ln_free_r(nint config);

    [LibraryImport(Ps)]
    public static partial nint ps_init(nint config);

    [LibraryImport(Ps)]
    public static partial int ps_free(nint ps);

    [LibraryImport(Ps)]
    public static partial int ps_start_utt(nint ps);

    [LibraryImport(Ps)]
    public static partial int ps_end_utt(nint ps);

    [LibraryImport(Ps)]
    public static partial int ps_process_raw(nint ps, short* data, nuint samples, int noSearch, int fullUtterance);

    [LibraryImport(Ps)]
    public static partial nint ps_get_hyp(nint ps, out int bestScore);

    [LibraryImport(Ps)]
    public static partial byte ps_get_in_speech(nint ps);

    [LibraryImport(Ps)]
    public static partial int ps_get_prob(nint ps);

    [LibraryImport(Ps)]
    public static partial nint ps_get_logmath(nint ps);

    [LibraryImport(Base)]
    public static partial double logmath_exp(nint logmath, int logValue);

    /// <summary>The library's one log stream for the whole process; null turns its logging off.</summary>
    [LibraryImport(Base)]
    public static partial void err_set_logfp(nint stream);

    [LibraryImport(Base)]
    public static partial nint err_get_logfp();
}
