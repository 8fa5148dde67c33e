namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>How a conversation is redacted, where that is a choice.</summary>
public sealed record RedactionOptions
{
    /// <summary>
    /// Keep the agents' own names as they introduce themselves ("this is ashley at summit energy"), and
    /// wherever they are said back. Off by default: an agent's name is personal data like anyone's.
    /// </summary>
    public bool KeepAgentNames { get; init; }
}
