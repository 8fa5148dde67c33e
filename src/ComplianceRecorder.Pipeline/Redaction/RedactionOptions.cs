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
    /// Mask a card's last four digits where they are said alone to refer to it ("the card ending in 4242"). Off by default:
    /// PCI DSS allows the last four to be shown, and a record that names the card a customer means is the clearer one.
    /// The same digits are masked wherever they may be part of a longer number.
    /// </summary>
    public bool MaskCardLastFour { get; init; }
}
