using ComplianceRecorder.Emulator;
using ComplianceRecorder.Genesys;

namespace ComplianceRecorder.Tests.Infrastructure;

internal static class EmulatedGenesys
{
    /// <summary>The client's settings for this emulator: its URLs, its credentials, its queue.</summary>
    public static GenesysOptions ClientOptions(this GenesysEmulator emulator) => new()
    {
        LoginBaseUrl = emulator.BaseUri,
        ApiBaseUrl = emulator.BaseUri,
        ClientId = "emulator-client",
        ClientSecret = "emulator-secret",
        QueueIds = [emulator.Scenario.QueueId],
    };

    /// <summary>The media dialect's client settings for this emulator: every scenario call is a media session.</summary>
    public static GenesysOptions MediaOptions(this GenesysEmulator emulator) => new()
    {
        Dialect = "media",
        LoginBaseUrl = emulator.BaseUri,
        ApiBaseUrl = emulator.BaseUri,
        ClientId = "emulator-client",
        ClientSecret = "emulator-secret",
        MediaSessionIds = [.. emulator.Scenario.Calls.Select(c => c.ConversationId)],
    };
}
