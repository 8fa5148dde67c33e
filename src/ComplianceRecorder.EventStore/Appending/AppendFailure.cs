namespace ComplianceRecorder.EventStore.Appending;

/// <summary>What an append error means for the events it carried.</summary>
public enum AppendFailure
{
    /// <summary>The store could not be reached or asked us to try again: retry the same events with backoff.</summary>
    Transient,

    /// <summary>The store answered and refused something in the batch for its content: find which event, record the rest.</summary>
    Refused,

    /// <summary>The store cannot take appends at all as configured (schema missing, no privilege): stop recording, saying why.</summary>
    Fatal,
}
