namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>How a conversation is redacted, where that is a choice.</summary>
public sealed record RedactionOptions
{
    /// <summary>
    /// Keep the agents' own names as they introduce themselves ("this is ashley at summit energy"), and
    /// wherever they are said back. Off by default: an agent's name is personal data like anyone's.
    /// </summary>
    public bool KeepAgentNames { get; init; }

    /// <summary>
    /// Keep a card's last four digits where they are said alone to refer to it ("the card ending in 4242"), as PCI DSS
    /// allows. Off by default: telling a card's last four from a PIN, a social's or an account's last four, or from a
    /// card dictated four digits at a time, takes the conversation's context, and a wrong guess shows personal data.
    /// </summary>
    public bool KeepCardLastFour { get; init; }
}
