using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComplianceRecorder.Emulator.AudioHook;

/// <summary>What can go wrong on the Genesys side of an AudioHook session, on demand.</summary>
public sealed record AudioHookFaults
{
    /// <summary>Sign with a secret other than the integration's.</summary>
    public bool BadSignature { get; init; }

    /// <summary>Wait this long after the upgrade before sending open.</summary>
    public TimeSpan OpenDelay { get; init; }

    /// <summary>
    /// After open: a text frame that is no message, a binary frame that is not whole stereo samples, and messages
    /// whose type and position are card numbers.
    /// </summary>
    public bool Garbage { get; init; }

    /// <summary>After open: this many text frames that are no message, as fast as the socket takes them (a hostile client).</summary>
    public int GarbageFrames { get; init; }

    /// <summary>Pause the audio (as a secure-pay flow does) at this point of the call, for <see cref="PauseFor"/>.</summary>
    public TimeSpan? PauseAt { get; init; }

    public TimeSpan PauseFor { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Drop the socket (no close) at this point of the call.</summary>
    public TimeSpan? DropAt { get; init; }

    /// <summary>The channel lists open offers (PCMU, 8 kHz), instead of stereo, external, internal; empty offers no audio.</summary>
    public IReadOnlyList<string[]>? Offers { get; init; }

    /// <summary>After open: an <c>error</c> whose message is a number and a <c>ping</c> whose position is one, fields of the wrong JSON type.</summary>
    public bool WrongTypes { get; init; }

    /// <summary>After open: a <c>ping</c> whose position is this (a negative or absurd one is the client's fault).</summary>
    public string? PingPosition { get; init; }

    /// <summary>After open: a <c>discarded</c> message whose span is this.</summary>
    public string? Discarded { get; init; }
}

/// <summary>How a played session went, as the client saw it.</summary>
public sealed record AudioHookOutcome(int? RefusedWith, TimeSpan? OpenedAfter, bool Closed, IReadOnlyList<string> Received, TimeSpan Audio);

/// <summary>The integration's credentials, as Genesys holds them: an API key and a base64 client secret.</summary>
public sealed record AudioHookCredentials(string ApiKey, string ClientSecret, string OrganizationId);

/// <summary>
/// Genesys Cloud's side of AudioHook (../shared/genesys/audiohook.md): upgrades with the signed headers,
/// sends open with the three media offers, streams the scripted call as PCMU stereo (external = customer,
/// internal = agent) in 100 ms frames at the scenario's speed, pings every 5 s of audio, and ends with
/// close, waiting for closed. Written apart from the recorder's server code, so a contract test
/// checks one against the other rather than a shared helper against itself.
/// </summary>
public static class AudioHookClient
{
    private const int Rate = 8000;
    private const int FrameSamples = 800;

    public static async Task<short[][]> SynthesizeAsync(ScriptedCall call, string? cache = null, CancellationToken ct = default)
    {
        var lines = await Task.WhenAll(call.Utterances.Select(u => SpeechSynthesis.SayAsync(u.Text, SpeechSynthesis.VoiceOf(u.Channel), cache, ct))).ConfigureAwait(false);
        var length = call.Utterances.Select((u, i) => (int)(u.AtMs * Rate / 1000) + lines[i].Length).DefaultIfEmpty(0).Max() + (Rate * 3 / 2);
        short[][] channels = [new short[length], new short[length]];
        for (var i = 0; i < lines.Length; i++)
        {
            var u = call.Utterances[i];
            var target = channels[u.Channel == "INTERNAL" ? 1 : 0];
            var at = (int)(u.AtMs * Rate / 1000);
            for (var s = 0; s < lines[i].Length && at + s < target.Length; s++)
            {
                target[at + s] = (short)Math.Clamp(target[at + s] + lines[i][s], short.MinValue, short.MaxValue);
            }
        }
        return channels;
    }

    public static async Task<AudioHookOutcome> PlayAsync(Uri server, AudioHookCredentials credentials, ScriptedCall call, double speed, AudioHookFaults? faults = null, string? cache = null, CancellationToken ct = default)
    {
        faults ??= new AudioHookFaults();
        var audio = await SynthesizeAsync(call, cache, ct).ConfigureAwait(false);
        var session = Guid.NewGuid().ToString();
        using var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        foreach (var (name, value) in SignedHeaders(server, credentials, session, faults.BadSignature))
        {
            ws.Options.SetRequestHeader(name, value);
        }
        try
        {
            await ws.ConnectAsync(server, ct).ConfigureAwait(false);
        }
        catch (WebSocketException) when (ws.HttpStatusCode is not System.Net.HttpStatusCode.SwitchingProtocols and not 0)
        {
            return new AudioHookOutcome((int)ws.HttpStatusCode, null, false, [], TimeSpan.Zero);
        }

        var received = new ConcurrentQueue<string>();
        var opened = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serverSeq = 0L;
        var seq = 0L;
        var position = 0L;
        var send = new SemaphoreSlim(1, 1);
        var openSentAt = 0L;
        // the channels the server chose, in its order: only those are streamed
        string[] chosen = [];

        async Task SendAsync(string type, JsonObject? parameters = null, string? at = null)
        {
            await send.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var m = new JsonObject
                {
                    ["version"] = "2",
                    ["id"] = session,
                    ["type"] = type,
                    ["seq"] = ++seq,
                    ["serverseq"] = Interlocked.Read(ref serverSeq),
                    ["position"] = at ?? Duration(position),
                    ["parameters"] = parameters ?? [],
                };
                await ws.SendAsync(Encoding.UTF8.GetBytes(m.ToJsonString()), WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
            }
            finally
            {
                send.Release();
            }
        }

        var reader = Task.Run(async () =>
        {
            var buffer = new byte[65536];
            try
            {
                while (ws.State == WebSocketState.Open)
                {
                    var r = await ws.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                    if (r.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                    using var doc = JsonDocument.Parse(buffer.AsMemory(0, r.Count));
                    var type = doc.RootElement.GetProperty("type").GetString()!;
                    Interlocked.Exchange(ref serverSeq, doc.RootElement.GetProperty("seq").GetInt64());
                    received.Enqueue(type);
                    switch (type)
                    {
                        case "opened":
                            chosen = doc.RootElement.GetProperty("parameters").GetProperty("media") is { ValueKind: JsonValueKind.Array } media && media.GetArrayLength() > 0
                                ? [.. media[0].GetProperty("channels").EnumerateArray().Select(c => c.GetString()!)]
                                : [];
                            opened.TrySetResult(Stopwatch.GetElapsedTime(openSentAt));
                            break;
                        case "closed":
                            closed.TrySetResult();
                            break;
                        case "disconnect":
                            await SendAsync("close", new JsonObject { ["reason"] = "disconnect" }).ConfigureAwait(false);
                            // a session refused at open gets no opened
                            opened.TrySetException(new InvalidOperationException("disconnected before opened"));
                            break;
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // the socket went (dropped on purpose, or the test ended)
            }
            opened.TrySetCanceled(CancellationToken.None);
            closed.TrySetCanceled(CancellationToken.None);
        }, CancellationToken.None);

        if (faults.OpenDelay > TimeSpan.Zero)
        {
            await Task.Delay(faults.OpenDelay, ct).ConfigureAwait(false);
        }
        openSentAt = Stopwatch.GetTimestamp();
        await SendAsync("open", OpenParameters(credentials.OrganizationId, call.ConversationId, faults.Offers)).ConfigureAwait(false);
        TimeSpan openedAfter;
        try
        {
            openedAfter = await opened.Task.WaitAsync(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // refused after the upgrade: the close it answered the disconnect with gets closed, then the socket goes
            try
            {
                await closed.Task.WaitAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
            }
            catch (Exception x) when (x is TimeoutException or TaskCanceledException)
            {
                // no closed: the socket goes all the same
            }
            ws.Abort();
            await reader.ConfigureAwait(false);
            return new AudioHookOutcome(null, null, false, [.. received], TimeSpan.Zero);
        }
        catch (Exception e) when (e is TimeoutException or TaskCanceledException)
        {
            // as Genesys: no opened within 5 s is a 408, and the stream is lost
            if (ws.State == WebSocketState.Open)
            {
                await SendAsync("error", new JsonObject { ["code"] = 408, ["message"] = "Timed out waiting for opened response" }).ConfigureAwait(false);
            }
            ws.Abort();
            return new AudioHookOutcome(null, null, false, [.. received], TimeSpan.Zero);
        }
        if (faults.Garbage)
        {
            await ws.SendAsync(Encoding.UTF8.GetBytes("{\"type\":\"open\", not json 4111 1111 1111 1111"), WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
            await ws.SendAsync(new byte[] { 0xFF, 0x7F, 0xFF }, WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
            await SendAsync("4111 1111 1111 1111").ConfigureAwait(false);
            await send.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var at = new JsonObject { ["version"] = "2", ["id"] = session, ["type"] = "ping", ["seq"] = ++seq, ["serverseq"] = Interlocked.Read(ref serverSeq), ["position"] = "4111111111111111", ["parameters"] = new JsonObject() };
                await ws.SendAsync(Encoding.UTF8.GetBytes(at.ToJsonString()), WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
            }
            finally
            {
                send.Release();
            }
        }
        for (var i = 0; i < faults.GarbageFrames && ws.State == WebSocketState.Open; i++)
        {
            try
            {
                await ws.SendAsync("not a message"u8.ToArray(), WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
            }
            catch (WebSocketException)
            {
                // the server disconnected and closed first
                break;
            }
        }
        if (faults.WrongTypes)
        {
            await SendAsync("error", new JsonObject { ["code"] = "408", ["message"] = 4111 }).ConfigureAwait(false);
            await send.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var ping = new JsonObject { ["version"] = "2", ["id"] = session, ["type"] = "ping", ["seq"] = ++seq, ["serverseq"] = Interlocked.Read(ref serverSeq), ["position"] = 5, ["parameters"] = new JsonObject() };
                await ws.SendAsync(Encoding.UTF8.GetBytes(ping.ToJsonString()), WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
            }
            finally
            {
                send.Release();
            }
        }
        if (faults.PingPosition is { } pingAt)
        {
            await SendAsync("ping", at: pingAt).ConfigureAwait(false);
        }
        if (faults.Discarded is { } discarded)
        {
            await SendAsync("discarded", new JsonObject { ["start"] = Duration(position), ["discarded"] = discarded }).ConfigureAwait(false);
        }

        var frame = new byte[FrameSamples * 2];
        var streams = chosen.Select(c => audio[c == "internal" ? 1 : 0]).ToArray();
        var total = audio[0].Length;
        var clock = Stopwatch.StartNew();
        var nextPing = 5 * Rate;
        var pauseFrom = faults.PauseAt is { } p ? (long)(p.TotalSeconds * Rate) : long.MaxValue;
        var pauseTo = pauseFrom + (long)(faults.PauseFor.TotalSeconds * Rate);
        var dropAt = faults.DropAt is { } d ? (long)(d.TotalSeconds * Rate) : long.MaxValue;
        var paused = false;
        for (position = 0; position < total; position += FrameSamples)
        {
            if (position >= dropAt)
            {
                ws.Abort();
                await reader.ConfigureAwait(false);
                return new AudioHookOutcome(null, openedAfter, false, [.. received], TimeSpan.FromSeconds(position / (double)Rate));
            }
            if (!paused && position >= pauseFrom && position < pauseTo)
            {
                paused = true;
                await SendAsync("paused").ConfigureAwait(false);
            }
            else if (paused && position >= pauseTo)
            {
                paused = false;
                await SendAsync("resumed", new JsonObject { ["start"] = Duration(position), ["discarded"] = Duration(pauseTo - pauseFrom) }).ConfigureAwait(false);
            }
            if (position >= nextPing)
            {
                nextPing += 5 * Rate;
                await SendAsync("ping").ConfigureAwait(false);
            }
            if (!paused && streams.Length > 0)
            {
                var n = (int)Math.Min(FrameSamples, total - position);
                for (var i = 0; i < n; i++)
                {
                    for (var c = 0; c < streams.Length; c++)
                    {
                        frame[(streams.Length * i) + c] = SpeechSynthesis.ToMuLaw(streams[c][position + i]);
                    }
                }
                await send.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    await ws.SendAsync(frame.AsMemory(0, n * streams.Length), WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
                }
                finally
                {
                    send.Release();
                }
            }
            // paced as Genesys streams: real time over the speed
            var due = TimeSpan.FromSeconds((position + FrameSamples) / (double)Rate / speed);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, ct).ConfigureAwait(false);
            }
        }
        var done = false;
        if (ws.State == WebSocketState.Open)
        {
            await SendAsync("close", new JsonObject { ["reason"] = "end" }).ConfigureAwait(false);
            try
            {
                await closed.Task.WaitAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
                done = true;
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or TaskCanceledException or WebSocketException)
            {
                ws.Abort();
            }
        }
        await reader.ConfigureAwait(false);
        return new AudioHookOutcome(null, openedAfter, done, [.. received], TimeSpan.FromSeconds(total / (double)Rate));
    }

    private static JsonObject OpenParameters(string organization, string conversation, IReadOnlyList<string[]>? offers) => new()
    {
        ["organizationId"] = organization,
        ["conversationId"] = conversation,
        ["participant"] = new JsonObject { ["id"] = Guid.NewGuid().ToString(), ["ani"] = "+1-555-555-1234", ["aniName"] = "John Doe", ["dnis"] = "+1-800-555-6789" },
        ["media"] = new JsonArray([.. (offers ?? [["external", "internal"], ["external"], ["internal"]])
            .Select(o => (JsonNode)new JsonObject { ["type"] = "audio", ["format"] = "PCMU", ["channels"] = new JsonArray([.. o.Select(c => (JsonNode)c)]), ["rate"] = Rate })]),
        ["language"] = "en-US",
        ["customConfig"] = new JsonObject(),
    };

    private static string Duration(long samples) => string.Create(CultureInfo.InvariantCulture, $"PT{samples / (double)Rate:0.###}S");

    /// <summary>The upgrade's headers, signed as Genesys signs them (HTTP Message Signatures, hmac-sha256).</summary>
    public static List<(string Name, string Value)> SignedHeaders(Uri server, AudioHookCredentials credentials, string session, bool badSignature = false)
    {
        var correlation = Guid.NewGuid().ToString();
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var input = $"(\"@request-target\" \"@authority\" \"audiohook-organization-id\" \"audiohook-session-id\" \"audiohook-correlation-id\" \"x-api-key\");keyid=\"{credentials.ApiKey}\";nonce=\"{nonce}\";alg=\"hmac-sha256\";created={created};expires={created + 300}";
        var signed = string.Join('\n',
            $"\"@request-target\": {server.PathAndQuery}",
            $"\"@authority\": {server.Authority}",
            $"\"audiohook-organization-id\": {credentials.OrganizationId}",
            $"\"audiohook-session-id\": {session}",
            $"\"audiohook-correlation-id\": {correlation}",
            $"\"x-api-key\": {credentials.ApiKey}",
            $"\"@signature-params\": {input}");
        var secret = badSignature ? RandomNumberGenerator.GetBytes(32) : Convert.FromBase64String(credentials.ClientSecret);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(signed)));
        return
        [
            ("Audiohook-Organization-Id", credentials.OrganizationId),
            ("Audiohook-Correlation-Id", correlation),
            ("Audiohook-Session-Id", session),
            ("X-API-KEY", credentials.ApiKey),
            ("Signature", $"sig1=:{signature}:"),
            ("Signature-Input", "sig1=" + input),
        ];
    }
}
