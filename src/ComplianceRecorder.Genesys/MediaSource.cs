using System.Globalization;
using System.Net.WebSockets;
using System.Reactive;
using System.Reactive.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComplianceRecorder.Pipeline.Input;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Genesys;

/// <summary>
/// The seed tutorial's Media API dialect (../shared/genesys/seed-media-api.md): validate the session's
/// region, codec and language, activate transcription by POST (201), then one socket per media session
/// with the subscribe action and its filter. Messages carry eventSequence; utterances are told apart by
/// their finals. Close 1000 ends the session; any other close reconnects and reports the lost interval.
/// </summary>
public sealed class MediaSource(HttpClient http, GenesysOptions options, TimeProvider time, ILogger log) : ITranscriptSource
{
    public static readonly string[] Regions = ["us-east-1", "eu-west-1", "ap-southeast-2"];
    public static readonly string[] Codecs = ["opus", "g729", "pcmu", "pcma"];
    public static readonly string[] Languages = ["en-US", "es-ES", "fr-FR", "de-DE"];

    private readonly GenesysRest _rest = new(http, options, time);
    private int _connected;

    public bool Connected => Volatile.Read(ref _connected) > 0;

    public int Reconnects { get; private set; }

    /// <summary>The tutorial's checks before activation, with its messages.</summary>
    public static void Validate(GenesysOptions o)
    {
        if (!Regions.Contains(o.Region))
        {
            throw new ArgumentException($"Transcription is not available in region {o.Region}");
        }
        if (!Codecs.Contains(o.Codec))
        {
            throw new ArgumentException($"Codec {o.Codec} does not support real-time transcription");
        }
        if (!Languages.Contains(o.Language))
        {
            throw new ArgumentException($"Language {o.Language} is not supported for real-time transcription");
        }
    }

    private Uri OrgBase => options.ApiBaseUrl ?? new Uri($"https://{options.OrgId}.mypurecloud.com");

    public IObservable<SourceEvent> Events() => Observable.Create<SourceEvent>(async (observer, ct) =>
    {
        try
        {
            Validate(options);
            foreach (var session in options.MediaSessionIds)
            {
                await _rest.SendAsync(HttpMethod.Post, "/api/v2/media/transcriptions", new JsonObject
                {
                    ["mediaSessionId"] = session,
                    ["language"] = options.Language,
                    ["profanityFilter"] = true,
                    ["chunkSize"] = 1500,
                    ["languageModel"] = "conversational",
                }, ct, OrgBase).ConfigureAwait(false);
                GenesysLog.MediaActivated(log);
            }
        }
        catch (Exception e) when (e is ArgumentException or GenesysAuthException or HttpRequestException or Polly.Timeout.TimeoutRejectedException)
        {
            observer.OnError(e);
            return;
        }
        // the sessions' sockets run side by side; an observer must never be called from two at once
        var serialized = Observer.Synchronize(observer);
        await Task.WhenAll(options.MediaSessionIds.Select(s => SessionAsync(s, serialized, ct))).ConfigureAwait(false);
        observer.OnCompleted();
    });

    private async Task SessionAsync(string session, IObserver<SourceEvent> observer, CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        DateTimeOffset? downSince = null;
        var reason = "";
        var socketUri = new UriBuilder(OrgBase) { Scheme = OrgBase.Scheme == "http" ? "ws" : "wss", Path = "/api/v2/websocket" }.Uri;
        while (!ct.IsCancellationRequested)
        {
            using var ws = new ClientWebSocket();
            try
            {
                await ws.ConnectAsync(socketUri, ct).ConfigureAwait(false);
                var subscribe = new JsonObject { ["action"] = "subscribe", ["topics"] = new JsonArray("conversation:transcription"), ["filter"] = new JsonObject { ["mediaSessionId"] = session } };
                await ws.SendAsync(Encoding.UTF8.GetBytes(subscribe.ToJsonString()), WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _connected);
                if (downSince is { } from)
                {
                    observer.OnNext(new SourceDisconnected([session], from, reason, time.GetUtcNow()));
                    downSince = null;
                }
                backoff = TimeSpan.FromMilliseconds(200);
                var frames = new FrameReader(ws, time);
                using var closing = new ClosingOnStop(ws, ct);
                while (true)
                {
                    var frame = await frames.NextAsync(closing.Receive).ConfigureAwait(false);
                    if (ct.IsCancellationRequested)
                    {
                        // stopping: the close frame went out; what still arrives is not taken
                        return;
                    }
                    if (frame.Closed)
                    {
                        if (frame.Status == WebSocketCloseStatus.NormalClosure)
                        {
                            observer.OnNext(new CallFinished(session, "media socket closed normally (1000)", time.GetUtcNow()));
                            return;
                        }
                        reason = frame.Reason!;
                        break;
                    }
                    if (frame.Bad is { } bad)
                    {
                        observer.OnNext(bad);
                        continue;
                    }
                    var text = frame.Text!;
                    foreach (var e in Decode(session, text, time.GetUtcNow()))
                    {
                        observer.OnNext(e);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is WebSocketException or IOException)
            {
                reason = e.GetType().Name + ": " + e.Message;
            }
            finally
            {
                if (ws.State != WebSocketState.None)
                {
                    Interlocked.Decrement(ref _connected);
                }
            }
            downSince ??= time.GetUtcNow();
            Reconnects++;
            GenesysLog.MediaSocketDown(log, reason, backoff.TotalMilliseconds);
            await Task.Delay(backoff, time, ct).ConfigureAwait(false);
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 10_000));
        }
    }

    /// <summary>
    /// One frame: a JSON array of messages. Bad input becomes a malformed value, never an exception.
    /// Utterances are not numbered here: messages may arrive out of order, so the coverage tracker
    /// numbers them once they are back in eventSequence order.
    /// </summary>
    public static List<SourceEvent> Decode(string session, string frame, DateTimeOffset now)
    {
        var result = new List<SourceEvent>(1);
        try
        {
            using var doc = JsonDocument.Parse(frame, new JsonDocumentOptions { MaxDepth = 16 });
            foreach (var m in doc.RootElement.EnumerateArray())
            {
                if (m.GetProperty("eventType").GetString() != "transcription")
                {
                    continue;
                }
                var seq = m.GetProperty("eventSequence").GetInt64();
                var isFinal = !m.GetProperty("isPartial").GetBoolean();
                DateTimeOffset? at = m.TryGetProperty("timestamp", out var ts) && DateTimeOffset.TryParse(ts.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t : null;
                result.Add(new TranscriptReceived(session, "BOTH", session, isFinal, m.GetProperty("transcript").GetString()!,
                    0, 0, at, seq, m.GetProperty("mediaSessionId").GetString(), "media", false, now));
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            result.Clear();
            result.Add(new MalformedFrame(frame.Length > 8192 ? frame[..8192] : frame, frame.Length, e.GetType().Name + ": " + e.Message, now));
        }
        return result;
    }
}
