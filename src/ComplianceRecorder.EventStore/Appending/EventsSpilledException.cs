namespace ComplianceRecorder.EventStore.Appending;

/// <summary>An event the store could not take by the stop deadline, written to a spill file for the next start to append.</summary>
public sealed class EventsSpilledException(string path) : Exception($"spilled to {path}, not yet recorded")
{
    public string Path => path;
}
