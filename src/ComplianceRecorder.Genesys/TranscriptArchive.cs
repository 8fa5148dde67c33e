using System.Text.Json.Nodes;
using ComplianceRecorder.Pipeline.Input;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Genesys;

/// <summary>
/// Genesys' stored transcript of a communication: the transcripturl call gives a short-lived URL, and
/// the JSON there lists phrases with their speaker and times. Each phrase comes back as a final marked
/// backfilled, with its offset from the start of the transcription, so the pipeline can tell which
/// ones the live stream missed.
/// </summary>
public sealed class TranscriptArchive(GenesysRest rest, TimeProvider time, ILogger log) : ITranscriptArchive
{
    public async Task<IReadOnlyList<TranscriptReceived>> FetchAsync(string conversationId, string communicationId, CancellationToken ct)
    {
        try
        {
            var link = await rest.SendAsync(HttpMethod.Get,
                $"/api/v2/speechandtextanalytics/conversations/{conversationId}/communications/{communicationId}/transcripturl", null, ct).ConfigureAwait(false);
            var url = link?["url"]?.GetValue<string>() ?? throw new InvalidDataException("the transcripturl answer has no url");
            var stored = await rest.GetUnauthenticatedAsync(new Uri(url), ct).ConfigureAwait(false);
            var result = Phrases(conversationId, communicationId, stored, time.GetUtcNow());
            GenesysLog.BackfillFetched(log, conversationId, result.Count);
            return result;
        }
        catch (Exception e) when (e is HttpRequestException or InvalidDataException or InvalidOperationException or System.Text.Json.JsonException or Polly.Timeout.TimeoutRejectedException)
        {
            // the message names the status or the missing field, never transcript text
            GenesysLog.BackfillFailed(log, conversationId, e.Message);
            throw;
        }
    }

    internal static List<TranscriptReceived> Phrases(string conversationId, string communicationId, JsonNode? stored, DateTimeOffset now)
    {
        var result = new List<TranscriptReceived>();
        foreach (var transcript in stored?["transcripts"]?.AsArray() ?? [])
        {
            var start = transcript?["startTime"]?.GetValue<long>() ?? throw new InvalidDataException("a stored transcript without startTime");
            foreach (var phrase in transcript["phrases"]?.AsArray() ?? [])
            {
                var text = phrase?["text"]?.GetValue<string>() ?? throw new InvalidDataException("a stored phrase without text");
                var at = phrase["startTimeMs"]?.GetValue<long>() ?? throw new InvalidDataException("a stored phrase without startTimeMs");
                var duration = phrase["duration"]?["milliseconds"]?.GetValue<long>() ?? 0;
                var channel = phrase["participantPurpose"]?.GetValue<string>() switch
                {
                    "internal" or "agent" => "INTERNAL",
                    "external" or "customer" => "EXTERNAL",
                    _ => "UNKNOWN",
                };
                var index = phrase["phraseIndex"]?.GetValue<int>() ?? result.Count;
                result.Add(new TranscriptReceived(
                    // no source time: a backfilled segment's delay says nothing about live latency
                    conversationId, channel, $"stored-{communicationId}-{index}", true, text, at - start, duration,
                    null, null, null, "notifications", true, now)
                { CommunicationId = communicationId });
            }
        }
        return result;
    }
}
