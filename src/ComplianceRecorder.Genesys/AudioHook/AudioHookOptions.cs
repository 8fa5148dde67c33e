namespace ComplianceRecorder.Genesys.AudioHook;

/// <summary>The AudioHook Monitor integration as the org configured it, and how much audio may wait for recognition.</summary>
public sealed record AudioHookOptions
{
    /// <summary>The WebSocket path the integration's connection URI names.</summary>
    public string Path { get; init; } = "/api/audiohook/ws";

    /// <summary>The integration's API key (X-API-KEY). Required for the audiohook dialect; never logged.</summary>
    public string ApiKey { get; init; } = "";

    /// <summary>The integration's client secret, base64; with one, every upgrade must carry a valid signature. Never logged.</summary>
    public string ClientSecret { get; init; } = "";

    /// <summary>When set, sessions of any other organization are refused.</summary>
    public string OrganizationId { get; init; } = "";

    /// <summary>
    /// Audio a channel may hold waiting for its recognizer; past it, new audio is not recognized and is
    /// recorded as a gap, so a slow recognizer never holds up the socket.
    /// </summary>
    public TimeSpan MaxBacklog { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Calls recognised at once (each a session of two channels, each channel a recognizer stream; the embedded
    /// recognizer's decoder takes about 90 MB). An open past it is refused with <c>disconnect</c> and the call
    /// recorded as a gap.
    /// </summary>
    public int MaxSessions { get; init; } = 4;

    /// <summary>
    /// How long a call whose session ended without <c>close</c> reason <c>end</c> (a dropped socket, a 408 retry)
    /// waits for another session to continue it before it is ended; zero ends it at once.
    /// </summary>
    public TimeSpan ReconnectGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The recorder's <c>Recorder:CallIdleSeconds</c> (the host sets it; no key of its own): a call refused at
    /// <see cref="MaxSessions"/>, whose end the recorder cannot hear, is let go after it.
    /// </summary>
    public TimeSpan CallIdle { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The embedded recognizer's model folder.</summary>
    public string Model { get; init; } = Speech.PocketSphinxRecognizer.DefaultModel;
}
