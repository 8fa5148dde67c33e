namespace ComplianceRecorder.Web;

/// <summary>Who is asking: the configured name of the API key, and what it may see.</summary>
public sealed record Caller(string Name, Role Role);
