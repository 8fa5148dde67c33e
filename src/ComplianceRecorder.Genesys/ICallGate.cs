namespace ComplianceRecorder.Genesys;

/// <summary>What a recorder among several does with a call it found (#15).</summary>
public enum CallTaking
{
    /// <summary>This instance holds the call (owner or standby): it follows it.</summary>
    Follow,

    /// <summary>Other instances hold it, or another instance found it first and records that nobody can: nothing to do here.</summary>
    Elsewhere,

    /// <summary>No instance has room for it and this one found it first: it records the call as unheard.</summary>
    Unfollowable,
}

/// <summary>
/// Decides, when several recorders share one store, which of them follow a call; every instance finds every
/// call on the queue topics. Without a gate every call found is followed.
/// </summary>
public interface ICallGate
{
    ValueTask<CallTaking> ClaimAsync(string conversationId, CancellationToken ct);
}
