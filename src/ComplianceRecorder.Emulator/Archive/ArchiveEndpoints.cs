using System.Text.Json.Nodes;
using ComplianceRecorder.Emulator.Playback;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ComplianceRecorder.Emulator.Archive;

/// <summary>
/// What Genesys keeps after a call: once the call is over, transcripturl answers a short-lived URL, and
/// that URL serves the whole transcript (every final, with speaker and times) whatever the live stream lost.
/// </summary>
internal sealed class ArchiveEndpoints(GenesysEmulator emulator, EmulatorOptions options, PlayedCalls played)
{
    private int _served;

    /// <summary>Stored transcripts fetched through their transcripturl.</summary>
    public int Served => _served;

    public void Map(RouteGroupBuilder api, WebApplication app)
    {
        api.MapGet("speechandtextanalytics/conversations/{conversation}/communications/{communication}/transcripturl", (string conversation, string communication) =>
            played.Ended(conversation, communication)
                ? Results.Json(new JsonObject { ["url"] = new Uri(emulator.BaseUri, $"/emulator/transcripts/{conversation}/{communication}?X-Amz-Expires=300").ToString() })
                : Results.Json(new JsonObject { ["message"] = "transcript not found", ["code"] = "not.found", ["status"] = 404 }, statusCode: 404));
        app.MapGet("/emulator/transcripts/{conversation}/{communication}", (string conversation, string communication) =>
        {
            if (!played.TryGet(conversation, communication, out var stored))
            {
                return Results.NotFound();
            }
            Interlocked.Increment(ref _served);
            var start = stored.Clock.Start.ToUnixTimeMilliseconds();
            var phrases = new JsonArray();
            foreach (var e in Transcriber.Emissions(stored.Call, options.Seed).Where(e => e.IsFinal))
            {
                // the same offsets the live stream sent, so what was heard live can be told apart
                var offset = stored.Clock.UtteranceOffset(e);
                phrases.Add(new JsonObject
                {
                    ["text"] = e.Text,
                    ["decoratedText"] = e.Text,
                    ["stability"] = 0.9,
                    ["startTimeMs"] = start + offset + options.StoredDriftMs,
                    ["duration"] = new JsonObject { ["milliseconds"] = stored.Clock.Real(e.DurationMs) },
                    ["participantPurpose"] = e.Channel == "INTERNAL" ? "internal" : "external",
                    ["phraseIndex"] = phrases.Count,
                });
            }
            return Results.Json(new JsonObject
            {
                ["organizationId"] = "emulated-org",
                ["conversationId"] = conversation,
                ["communicationId"] = communication,
                ["mediaType"] = "call",
                ["transcripts"] = new JsonArray(new JsonObject
                {
                    ["transcriptId"] = Guid.NewGuid().ToString(),
                    ["language"] = "en-US",
                    ["startTime"] = start,
                    ["phrases"] = phrases,
                }),
            });
        });
    }
}
