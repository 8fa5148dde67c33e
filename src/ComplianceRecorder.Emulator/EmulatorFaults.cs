namespace ComplianceRecorder.Emulator;

/// <summary>
/// Faults on demand, as Genesys and the networks between produce them. Tests set these directly;
/// the running emulator also takes them at POST /emulator/faults (same names, JSON).
/// </summary>
public sealed class EmulatorFaults
{
    private int _tooManyRequests;
    private int _forbidden;

    /// <summary>Answer this many REST calls with 429 before serving again.</summary>
    public void TooManyRequests(int times, int retryAfterSeconds)
    {
        RetryAfterSeconds = retryAfterSeconds;
        Volatile.Write(ref _tooManyRequests, times);
    }

    /// <summary>Answer this many REST calls with 403 (a missing permission).</summary>
    public void Forbid(int times) => Volatile.Write(ref _forbidden, times);

    public int RetryAfterSeconds { get; private set; }

    internal bool TakeTooManyRequests() => Interlocked.Decrement(ref _tooManyRequests) >= 0;

    internal bool TakeForbidden() => Interlocked.Decrement(ref _forbidden) >= 0;

    /// <summary>Share of transcript messages sent twice.</summary>
    public double DuplicateRate { get; set; }

    /// <summary>Share of transcript messages held back and sent after the next one.</summary>
    public double ReorderRate { get; set; }

    /// <summary>Share of transcript messages never sent.</summary>
    public double SkipRate { get; set; }
}
