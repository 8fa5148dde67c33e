namespace ComplianceRecorder.Testing;

/// <summary>The channels Genesys labels speech with.</summary>
public static class Speakers
{
    /// <summary>The caller.</summary>
    public const string Customer = "EXTERNAL";

    /// <summary>The agent.</summary>
    public const string Agent = "INTERNAL";

    /// <summary>The media dialect's mixed stream.</summary>
    public const string Both = "BOTH";
}
