using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Testing;

/// <summary>One frame of a script as it reaches the pipeline: <paramref name="At"/> milliseconds after the run's start.</summary>
public readonly record struct ScriptedFrame(long At, SourceEvent Event);
