namespace ComplianceRecorder.EventStore.Appending;

/// <summary>
/// The writer's membership lease (#15): once it has a generation, every append checks in its own transaction
/// (<c>append_events</c> checks it under the writer's membership row lock) that the store has not declared that generation lapsed, so an instance whose calls
/// were taken over while it was cut off writes nothing more, whatever it had queued.
/// </summary>
public sealed class WriterLease(string name)
{
    private long _generation;

    public string Name => name;

    /// <summary>Null until the instance has joined.</summary>
    public long? Generation
    {
        get => Volatile.Read(ref _generation) is var g and > 0 ? g : null;
        set => Volatile.Write(ref _generation, value ?? 0);
    }
}
