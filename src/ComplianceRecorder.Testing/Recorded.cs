namespace ComplianceRecorder.Testing;

/// <summary>
/// A value and the virtual time it was seen, in milliseconds from the run's start; equal when both are.
/// As dotnet/reactive's <c>Recorded&lt;T&gt;</c>, but in milliseconds rather than ticks.
/// </summary>
public readonly record struct Recorded<T>(long Time, T Value)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Value} at {Time} ms";
}
