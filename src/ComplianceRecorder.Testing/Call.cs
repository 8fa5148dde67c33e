namespace ComplianceRecorder.Testing;

/// <summary>Where a scripted call starts: <c>Call.Script("conv-1").At(100).Final("hello")…</c>.</summary>
public static class Call
{
    /// <summary>A call heard over <paramref name="dialect"/>, its frames placed at virtual times (milliseconds from the run's start).</summary>
    public static CallScript Script(string conversationId, Dialect dialect = Dialect.Notifications) => new(conversationId, dialect);
}
