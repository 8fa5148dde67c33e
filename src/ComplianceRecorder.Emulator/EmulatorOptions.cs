namespace ComplianceRecorder.Emulator;

/// <summary>How the emulator plays: which scenario, how fast, and the limits and lifetimes Genesys would apply.</summary>
public sealed record EmulatorOptions
{
    public string Scenario { get; init; } = "demo";

    /// <summary>Scenario milliseconds per real millisecond: 1 is real time, 20 plays a 5-minute call in 15 s.</summary>
    public double Speed { get; init; } = 1;

    public int Seed { get; init; } = 42;

    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(30);

    public string ClientId { get; init; } = "emulator-client";

    public string ClientSecret { get; init; } = "emulator-secret";

    /// <summary>Play the scenario again from the start when it ends (the demo keeps calls coming).</summary>
    public bool Loop { get; init; }

    /// <summary>A channel lives this long unless subscribing again extends it; then it is closed and forgotten.</summary>
    public TimeSpan ChannelLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Genesys allows 20 channels per OAuth client.</summary>
    public int MaxChannels { get; init; } = 20;

    /// <summary>The stored transcript's clock against the live stream's: its phrase times are shifted by this much.</summary>
    public long StoredDriftMs { get; init; }
}
