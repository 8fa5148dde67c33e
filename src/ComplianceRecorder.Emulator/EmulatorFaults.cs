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
    public void TooManyRequests(int times, int retryAfterSeconds, bool asDate = false)
    {
        RetryAfterSeconds = retryAfterSeconds;
        RetryAfterAsDate = asDate;
        Volatile.Write(ref _tooManyRequests, times);
    }

    /// <summary>Answer this many REST calls with 403 (a missing permission).</summary>
    public void Forbid(int times) => Volatile.Write(ref _forbidden, times);

    public int RetryAfterSeconds { get; private set; }

    /// <summary>Send Retry-After as an HTTP date rather than seconds.</summary>
    public bool RetryAfterAsDate { get; private set; }

    /// <summary>Answer this many REST calls with 503.</summary>
    public void ServerErrors(int times) => Volatile.Write(ref _serverErrors, times);

    /// <summary>429s and 503s answered so far.</summary>
    public int TooManyRequestsServed => Volatile.Read(ref _tooManyRequestsServed);

    public int ServerErrorsServed => Volatile.Read(ref _serverErrorsServed);

    private int _serverErrors;
    private int _tooManyRequestsServed;
    private int _serverErrorsServed;

    internal bool TakeTooManyRequests() => Take(ref _tooManyRequests, ref _tooManyRequestsServed);

    internal bool TakeServerError() => Take(ref _serverErrors, ref _serverErrorsServed);

    private static bool Take(ref int left, ref int served)
    {
        if (Interlocked.Decrement(ref left) < 0)
        {
            return false;
        }
        Interlocked.Increment(ref served);
        return true;
    }

    internal bool TakeForbidden() => Interlocked.Decrement(ref _forbidden) >= 0;

    /// <summary>Share of transcript messages sent twice.</summary>
    public double DuplicateRate { get; set; }

    /// <summary>Share of transcript messages held back and sent after the next one.</summary>
    public double ReorderRate { get; set; }

    /// <summary>Share of transcript messages never sent.</summary>
    public double SkipRate { get; set; }

    private int _stalls;
    private long _stallTicks;

    /// <summary>Hold this many REST calls for <paramref name="delay"/> before answering: a client's timeout fires first.</summary>
    public void Stall(int times, TimeSpan delay)
    {
        Volatile.Write(ref _stallTicks, delay.Ticks);
        Volatile.Write(ref _stalls, times);
    }

    internal TimeSpan? TakeStall() => Interlocked.Decrement(ref _stalls) >= 0 ? TimeSpan.FromTicks(Volatile.Read(ref _stallTicks)) : null;

    private int _subscriptionTimeouts;
    private int _subscriptionServerErrors;
    private int _subscriptionTooManyRequests;
    private int _subscriptionFaultsServed;

    /// <summary>
    /// The next subscription POSTs (topics added to a channel) fail: first this many are held unanswered
    /// until the client gives up, then this many get 503, then this many 429 (Retry-After: 1).
    /// </summary>
    public void FailSubscriptionAdds(int timeouts, int serverErrors, int tooManyRequests)
    {
        Volatile.Write(ref _subscriptionTimeouts, timeouts);
        Volatile.Write(ref _subscriptionServerErrors, serverErrors);
        Volatile.Write(ref _subscriptionTooManyRequests, tooManyRequests);
    }

    /// <summary>Subscription POSTs failed on purpose so far.</summary>
    public int SubscriptionFaultsServed => Volatile.Read(ref _subscriptionFaultsServed);

    internal SubscriptionFault TakeSubscriptionFault() =>
        Take(ref _subscriptionTimeouts, ref _subscriptionFaultsServed) ? SubscriptionFault.Timeout
        : Take(ref _subscriptionServerErrors, ref _subscriptionFaultsServed) ? SubscriptionFault.ServerError
        : Take(ref _subscriptionTooManyRequests, ref _subscriptionFaultsServed) ? SubscriptionFault.TooManyRequests
        : SubscriptionFault.None;
}

internal enum SubscriptionFault
{
    None,
    Timeout,
    ServerError,
    TooManyRequests,
}
