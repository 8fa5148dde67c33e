using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using ComplianceRecorder.Genesys.AudioHook;
using ComplianceRecorder.Genesys.Speech;
using ComplianceRecorder.Pipeline.Input;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ComplianceRecorder.Tests.AudioHook;

/// <summary>
/// The source's calls as its sessions hand them on, on real loopback sockets, to a subscriber that stands for the
/// recorder: one that can stall as the recorder does while its commit queue is full.
/// </summary>
public sealed class AudioHookSourceTests : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly List<IDisposable> _owned = [];
    private readonly ConcurrentQueue<SourceEvent> _events = new();

    [Fact(Timeout = 120_000)]
    public async Task A_stalled_recorder_never_holds_back_another_sessions_opened()
    {
        using var stall = new StallAtHold();
        var source = Subscribed(new AudioHookOptions { ReconnectGrace = TimeSpan.Zero }, new FaultyRecognizer(), stall.Heard);
        var (a, runA) = await SessionAsync(source);
        var (b, runB) = await SessionAsync(source);

        await a.SendAsync("open", Open(Guid.NewGuid(), media: false));
        Assert.Equal("opened", await a.ReceiveAsync());
        await stall.Reached.WaitAsync(Wait);

        await b.SendAsync("open", Open(Guid.NewGuid(), media: false));
        var answer = await b.ReceiveAsync();
        var stillStalled = !stall.Released;
        stall.Release();
        Assert.Equal("opened", answer);
        Assert.True(stillStalled, "the second open was answered while the recorder was stalled");

        await a.SendAsync("close", """{"reason":"end"}""");
        await b.SendAsync("close", """{"reason":"end"}""");
        await EndedAsync(2);
        a.Drop();
        b.Drop();
        await Task.WhenAll(runA, runB).WaitAsync(Wait);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_recognizer_that_fails_and_throws_as_its_stream_is_disposed_still_has_the_dropped_sessions_call_ended_and_its_lost_audio_recorded()
    {
        var source = Subscribed(new AudioHookOptions { ReconnectGrace = TimeSpan.Zero }, new FaultyRecognizer(acceptFails: true), _ => { });
        var call = Guid.NewGuid();
        var (client, run) = await OpenedAsync(source, call, media: true);
        // the first fails the recognizer; the second finds it failed (or is still queued when it fails): not recognised
        await client.AudioAsync(new byte[1600]);
        await client.AudioAsync(new byte[1600]);

        client.Drop();
        await run.WaitAsync(Wait);

        var finished = await EndedOnceAsync(call);
        Assert.StartsWith("the AudioHook session ended without a close", finished.Reason, StringComparison.Ordinal);
        var lost = _events.OfType<SourceDisconnected>().Select(d => d.Detail ?? "").ToList();
        Assert.Contains(lost, d => d.Contains("the recognizer failed (InvalidOperationException: the plug-in could not take the audio)", StringComparison.Ordinal));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_session_that_goes_quiet_without_closing_is_disconnected_as_gone_and_its_call_ended_naming_the_silence()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var source = Subscribed(new AudioHookOptions { ReconnectGrace = TimeSpan.Zero }, new FaultyRecognizer(), _ => { }, time);
        var call = Guid.NewGuid();
        var (client, run) = await OpenedAsync(source, call, media: false);

        // pings keep a session that sends no audio (a long pause) alive well past the quiet bound
        for (var ping = 0; ping < 2; ping++)
        {
            time.Advance(AudioHookSession.Quiet - TimeSpan.FromSeconds(5));
            await client.SendAsync("ping", "{}");
            Assert.Equal("pong", await client.ReceiveAsync());
        }

        // then nothing at all, the socket left open: the session is let go as gone
        Assert.Equal("disconnect", await AdvanceUntilAsync(time, client.ReceiveAsync(), AudioHookSession.Quiet));
        await run.WaitAsync(Wait);

        var finished = await EndedOnceAsync(call);
        Assert.Contains("nothing heard from the client for 30 s", finished.Reason, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_session_whose_reader_is_held_by_a_stalled_recorder_past_the_quiet_bound_is_not_taken_as_gone()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var stall = new StallAtHold();
        var source = Subscribed(new AudioHookOptions { ReconnectGrace = TimeSpan.Zero }, new FaultyRecognizer(), stall.Heard, time);
        var call = Guid.NewGuid();
        var (client, run) = await OpenedAsync(source, call, media: false);
        await stall.Reached.WaitAsync(Wait);

        // the recorder holds the session's reader past the quiet bound while the client goes on pinging
        time.Advance(AudioHookSession.Quiet + TimeSpan.FromSeconds(5));
        await client.SendAsync("ping", "{}");
        stall.Release();

        Assert.Equal("pong", await client.ReceiveAsync());
        await client.SendAsync("close", """{"reason":"end"}""");
        Assert.Equal("closed", await client.ReceiveAsync());
        var finished = await EndedOnceAsync(call);
        Assert.Equal("the AudioHook session closed (end)", finished.Reason);
        client.Drop();
        await run.WaitAsync(Wait);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_call_ended_while_a_session_for_it_was_refused_ends_once_with_its_refusal()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var lastWords = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new AudioHookOptions { MaxSessions = 1, ReconnectGrace = TimeSpan.Zero, CallIdle = TimeSpan.FromSeconds(20) };
        var source = Subscribed(options, new FaultyRecognizer(lastWords.Task), _ => { }, time);
        var call = Guid.NewGuid();
        var (first, firstRun) = await OpenedAsync(source, call, media: true);
        await first.AudioAsync(new byte[1600]);

        // its socket drops: the call is let go at once, its end waits for its last words to be recognised
        first.Drop();
        var deadline = DateTime.UtcNow + Wait;
        while (source.Holds(call.ToString("D")) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.False(source.Holds(call.ToString("D")), "the dropped session let its call go");
        // another call takes the only slot, and a retry of the first is refused
        var (other, otherRun) = await OpenedAsync(source, Guid.NewGuid(), media: false);
        var (retry, retryRun) = await SessionAsync(source);
        await retry.SendAsync("open", Open(call, media: true));
        Assert.Equal("disconnect", await retry.ReceiveAsync());

        lastWords.SetResult();
        await firstRun.WaitAsync(Wait);
        await EndedAsync(1);
        // the refusal's own end comes later: the call ended already, so it says nothing more
        time.Advance(options.CallIdle);

        Assert.Equal(call.ToString("D"), Assert.Single(_events.OfType<CallFinished>()).ConversationId);
        var refused = Assert.Single(_events.OfType<SourceDisconnected>(), d => d.Detail?.Contains("the call was refused", StringComparison.Ordinal) == true);
        Assert.Contains("until the call was ended", refused.Detail, StringComparison.Ordinal);
        other.Drop();
        retry.Drop();
        await Task.WhenAll(otherRun, retryRun).WaitAsync(Wait);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_dropped_session_whose_retry_is_refused_within_its_grace_records_the_span_from_the_drop_to_the_retry_with_the_drops_reason()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // the whole test stays inside the quiet bound of the session that takes the slot
        var options = new AudioHookOptions { MaxSessions = 1, ReconnectGrace = TimeSpan.FromSeconds(5), CallIdle = TimeSpan.FromSeconds(10) };
        var source = Subscribed(options, new FaultyRecognizer(), _ => { }, time);
        var call = Guid.NewGuid();
        var dropped = time.GetUtcNow();
        var (first, firstRun) = await OpenedAsync(source, call, media: true);
        first.Drop();
        await firstRun.WaitAsync(Wait);
        Assert.False(source.Holds(call.ToString("D")));

        // inside the grace another call takes the only slot, and a retry of the dropped one is refused
        time.Advance(TimeSpan.FromSeconds(2));
        var retried = time.GetUtcNow();
        var (other, otherRun) = await OpenedAsync(source, Guid.NewGuid(), media: false);
        var (retry, retryRun) = await SessionAsync(source);
        await retry.SendAsync("open", Open(call, media: true));
        Assert.Equal("disconnect", await retry.ReceiveAsync());

        // the grace runs out, then the refused call is let go
        time.Advance(options.ReconnectGrace);
        time.Advance(options.CallIdle);
        var finished = await EndedOnceAsync(call);

        var gaps = _events.OfType<SourceDisconnected>().Where(d => d.ConversationIds.Contains(call.ToString("D"))).ToList();
        var drop = Assert.Single(gaps, d => d.From == dropped);
        Assert.Equal(retried, drop.ReceivedAt);
        Assert.Contains("ended without a close", drop.Detail, StringComparison.Ordinal);
        Assert.Contains("refused at the session limit", drop.Detail, StringComparison.Ordinal);
        Assert.Single(gaps, d => d.From == retried && d.Detail?.Contains("the call was refused", StringComparison.Ordinal) == true);
        Assert.StartsWith("refused at the session limit", finished.Reason, StringComparison.Ordinal);
        other.Drop();
        retry.Drop();
        await Task.WhenAll(otherRun, retryRun).WaitAsync(Wait);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in Enumerable.Reverse(_owned))
        {
            d.Dispose();
        }
        await Task.CompletedTask;
    }

    private AudioHookSource Subscribed(AudioHookOptions options, ISpeechRecognizer recognizer, Action<SourceEvent> heard, TimeProvider? time = null)
    {
        var source = new AudioHookSource(options, recognizer, time ?? TimeProvider.System, NullLogger.Instance);
        _owned.Add(source.Events().Subscribe(e =>
        {
            _events.Enqueue(e);
            heard(e);
        }, _ => { }));
        Assert.True(source.Connected);
        return source;
    }

    /// <summary>
    /// Moves the clock by <paramref name="first"/>, then a quiet check at a time until <paramref name="done"/> is: the
    /// session's reader may not be waiting on its socket yet as the clock first moves, and only that wait counts as quiet.
    /// </summary>
    private static async Task<T> AdvanceUntilAsync<T>(FakeTimeProvider time, Task<T> done, TimeSpan first)
    {
        time.Advance(first);
        while (await Task.WhenAny(done, Task.Delay(200)) != done)
        {
            time.Advance(TimeSpan.FromSeconds(5));
        }
        return await done;
    }

    private async Task<(Client Client, Task Run)> OpenedAsync(AudioHookSource source, Guid call, bool media)
    {
        var (client, run) = await SessionAsync(source);
        await client.SendAsync("open", Open(call, media));
        Assert.Equal("opened", await client.ReceiveAsync());
        return (client, run);
    }

    private async Task<CallFinished> EndedOnceAsync(Guid call)
    {
        var finished = Assert.Single(await EndedAsync(1));
        Assert.Equal(call.ToString("D"), finished.ConversationId);
        return finished;
    }

    private async Task<IReadOnlyList<CallFinished>> EndedAsync(int count)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (_events.OfType<CallFinished>().Count() < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        var ended = _events.OfType<CallFinished>().ToList();
        Assert.True(ended.Count == count, $"{count} calls ended; heard: {string.Join(", ", _events.Select(e => e.GetType().Name))}");
        return ended;
    }

    /// <summary>A session of the source on one end of a loopback socket, the other end the client's.</summary>
    private async Task<(Client Client, Task Run)> SessionAsync(AudioHookSource source)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var tcp = new TcpClient();
        _owned.Add(tcp);
        var connect = tcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var accepted = await listener.AcceptTcpClientAsync();
        _owned.Add(accepted);
        await connect;
        var server = WebSocket.CreateFromStream(accepted.GetStream(), new WebSocketCreationOptions { IsServer = true });
        var client = WebSocket.CreateFromStream(tcp.GetStream(), new WebSocketCreationOptions { IsServer = false });
        var id = Guid.NewGuid().ToString("D");
        return (new Client(client, tcp, id), Task.Run(() => source.RunAsync(server, id, null, CancellationToken.None)));
    }

    private static string Open(Guid call, bool media) =>
        $$"""{"organizationId":"{{Guid.NewGuid()}}","conversationId":"{{call}}","media":[{{(media ? """{"type":"audio","format":"PCMU","channels":["external","internal"],"rate":8000}""" : "")}}]}""";

    /// <summary>A recorder that stops taking events at a call's hold, as a full commit queue blocks the emit, until released.</summary>
    private sealed class StallAtHold : IDisposable
    {
        private readonly ManualResetEventSlim _gate = new(false);
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reached => _reached.Task;

        public bool Released => _gate.IsSet;

        public void Heard(SourceEvent e)
        {
            if (e is CallHeld)
            {
                _reached.TrySetResult();
                _gate.Wait();
            }
        }

        public void Release() => _gate.Set();

        public void Dispose() => _gate.Dispose();
    }

    /// <summary>The client's end: numbered messages out, message types in.</summary>
    private sealed class Client(WebSocket ws, TcpClient tcp, string id)
    {
        private long _seq;

        public Task SendAsync(string type, string parameters) =>
            ws.SendAsync(Encoding.UTF8.GetBytes($$"""{"version":"2","id":"{{id}}","type":"{{type}}","seq":{{++_seq}},"serverseq":0,"parameters":{{parameters}}}"""),
                WebSocketMessageType.Text, true, CancellationToken.None);

        public Task AudioAsync(byte[] frame) => ws.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);

        public async Task<string> ReceiveAsync()
        {
            var buffer = new byte[4096];
            var r = await ws.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Wait);
            using var doc = JsonDocument.Parse(buffer.AsMemory(0, r.Count));
            return doc.RootElement.GetProperty("type").GetString()!;
        }

        /// <summary>The socket is lost without a close.</summary>
        public void Drop() => tcp.Client.Close();
    }

    /// <summary>
    /// Hears nothing, finishes an utterance only once <paramref name="lastWords"/> is done (a slow engine), throws
    /// as a stream is disposed, and with <paramref name="acceptFails"/> as it is given audio, as a faulty plug-in recognizer might.
    /// </summary>
    private sealed class FaultyRecognizer(Task? lastWords = null, bool acceptFails = false) : ISpeechRecognizer
    {
        public ISpeechStream Open(SpeechStreamInfo info) => new Stream(lastWords ?? Task.CompletedTask, acceptFails);

        private sealed class Stream(Task lastWords, bool acceptFails) : ISpeechStream
        {
            public ValueTask AcceptAsync(ReadOnlyMemory<short> audio, ICollection<SpeechHypothesis> output, CancellationToken ct) =>
                acceptFails ? throw new InvalidOperationException("the plug-in could not take the audio") : ValueTask.CompletedTask;

            public ValueTask CompleteAsync(ICollection<SpeechHypothesis> output, CancellationToken ct) => new(lastWords);

            public void Dispose() => throw new InvalidOperationException("the plug-in's stream could not be released");
        }
    }
}
