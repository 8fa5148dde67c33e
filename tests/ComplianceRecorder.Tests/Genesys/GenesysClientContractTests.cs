using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Reactive.Linq;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.Genesys;
using ComplianceRecorder.Pipeline.Input;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ComplianceRecorder.Tests.Genesys;

/// <summary>The Genesys client against the emulator over real HTTP and WebSockets, fault by fault.</summary>
public sealed class GenesysClientContractTests : IAsyncLifetime
{
    private GenesysEmulator _emulator = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 20 });

    public async Task DisposeAsync()
    {
        await _emulator.DisposeAsync();
        _http.Dispose();
    }

    private GenesysOptions Options => _emulator.ClientOptions();

    /// <summary>Subscribes to the source and collects what it says until disposed.</summary>
    private sealed class Listening : IDisposable
    {
        public readonly ConcurrentQueue<SourceEvent> Events = new();
        public Exception? Error;
        private readonly IDisposable _sub;

        public Listening(NotificationsSource source) =>
            _sub = source.Events().Subscribe(Events.Enqueue, e => Error = e);

        public async Task UntilAsync(Func<Listening, bool> done, int seconds = 30)
        {
            var deadline = DateTime.UtcNow.AddSeconds(seconds);
            while (!done(this) && Error is null && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }

        public int Finals => Events.OfType<TranscriptReceived>().Count(t => t.IsFinal);

        public void Dispose() => _sub.Dispose();
    }

    private NotificationsSource Source(TimeProvider? time = null, GenesysOptions? options = null) =>
        new(_http, options ?? Options, time ?? TimeProvider.System, NullLogger.Instance);

    /// <summary>Waits in real time for the emulator to have answered something, as virtual-time tests must before advancing.</summary>
    private static async Task UntilAsync(Func<bool> done, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!done() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.True(done(), "the emulator answered in time");
    }

    [Theory]
    [InlineData(false, 3)]
    // a date is read on the wall clock the emulator writes it by, which virtual time leaves behind after one wait
    [InlineData(true, 1)]
    public async Task A_429_sequence_waits_out_each_Retry_After_in_virtual_time_whether_seconds_or_a_date(bool asDate, int times)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var rest = new GenesysRest(_http, Options, time);
        await rest.Tokens.GetAsync(CancellationToken.None);
        _emulator.Faults.TooManyRequests(times, retryAfterSeconds: 30, asDate);

        var call = rest.SendAsync(HttpMethod.Post, "/api/v2/notifications/channels", null, CancellationToken.None);

        for (var n = 1; n <= times; n++)
        {
            await UntilAsync(() => _emulator.Faults.TooManyRequestsServed == n);
            // one virtual second at a time until the next attempt goes out; stepping before the client has
            // read the 429 only adds steps, so fewer than Retry-After's can only mean it was not honoured
            var steps = 0;
            while (_emulator.Faults.TooManyRequestsServed == n && !call.IsCompleted && steps < 120)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                steps++;
                await Task.Delay(20);
            }
            // a date has whole seconds, so it may ask for a little under 30 s
            Assert.True(steps >= (asDate ? 29 : 30), $"attempt {n + 1} went out after {steps} virtual seconds, before Retry-After: 30 had passed");
        }
        var channel = await call;
        Assert.StartsWith("streaming-", channel!["id"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rate_limiting_past_the_bounded_retries_fails_naming_the_status()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var rest = new GenesysRest(_http, Options with { MaxRetries = 2 }, time);
        await rest.Tokens.GetAsync(CancellationToken.None);
        _emulator.Faults.TooManyRequests(10, retryAfterSeconds: 5);

        var call = rest.SendAsync(HttpMethod.Post, "/api/v2/notifications/channels", null, CancellationToken.None);
        for (var n = 1; n <= 2; n++)
        {
            await UntilAsync(() => _emulator.Faults.TooManyRequestsServed == n);
            // the 429 may be served before the client has read it and started its wait; one advance made
            // before that wait exists would be lost, so step until the next attempt goes out
            var steps = 0;
            while (_emulator.Faults.TooManyRequestsServed == n && !call.IsCompleted && steps < 120)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                steps++;
                await Task.Delay(20);
            }
        }

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => call);
        Assert.Contains("429", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, _emulator.Faults.TooManyRequestsServed);
    }

    [Fact]
    public async Task Server_errors_are_retried_with_growing_backoff_and_the_call_then_succeeds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var rest = new GenesysRest(_http, Options, time);
        await rest.Tokens.GetAsync(CancellationToken.None);
        _emulator.Faults.ServerErrors(3);

        var call = rest.SendAsync(HttpMethod.Post, "/api/v2/notifications/channels", null, CancellationToken.None);
        var waited = TimeSpan.Zero;
        for (var n = 1; n <= 3; n++)
        {
            await UntilAsync(() => _emulator.Faults.ServerErrorsServed == n);
            // step the virtual clock until the backoff lets the next attempt out
            while (_emulator.Faults.ServerErrorsServed == n && !call.IsCompleted)
            {
                time.Advance(TimeSpan.FromMilliseconds(50));
                waited += TimeSpan.FromMilliseconds(50);
                await Task.Delay(5);
            }
        }

        Assert.NotNull(await call);
        // 250 ms doubling, with jitter: three waits add up to well over the first delay alone
        Assert.True(waited >= TimeSpan.FromMilliseconds(500), $"three retries after {waited.TotalMilliseconds} virtual ms");
    }

    [Fact]
    public async Task Calls_past_a_channels_topic_limit_spread_over_more_channels_each_call_on_exactly_one()
    {
        // calls a little apart, so each new channel has time to open even on a loaded machine (at x5 a loaded
        // machine once subscribed the first call after two of its finals had been spoken: a late subscription,
        // which the source reports as a gap, but not what this test is about)
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 2 });
        // two topics per channel: the queue and one call on the first, two calls on the next
        var source = Source(options: emulator.ClientOptions() with { TopicsPerChannel = 2 });
        using var listening = new Listening(source);
        var largest = 0;
        var twice = new List<string>();
        var watching = Task.Run(async () =>
        {
            while (listening.Events.OfType<CallFinished>().Count() < emulator.Scenario.Calls.Count && listening.Error is null)
            {
                largest = Math.Max(largest, emulator.TopicsPerChannel.DefaultIfEmpty().Max());
                twice.AddRange(emulator.SubscribedTopics.GroupBy(t => t).Where(g => g.Count() > 1).Select(g => g.Key));
                await Task.Delay(10);
            }
        });

        await listening.UntilAsync(l => l.Events.OfType<CallFinished>().Count() == emulator.Scenario.Calls.Count, seconds: 60);
        await watching;

        Assert.Null(listening.Error);
        Assert.True(source.Channels >= 2, $"{source.Channels} channel(s)");
        Assert.True(largest <= 2, $"a channel carried {largest} topics");
        Assert.Empty(twice);
        var heard = listening.Events.OfType<TranscriptReceived>().Where(t => t.IsFinal).GroupBy(t => t.ConversationId).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(emulator.Scenario.Calls.All(c => heard.GetValueOrDefault(c.ConversationId) == c.Utterances.Count),
            string.Join(", ", emulator.Scenario.Calls.Select(c => $"{c.ConversationId}: {heard.GetValueOrDefault(c.ConversationId)} of {c.Utterances.Count} finals")));
    }

    [Fact]
    public async Task A_followed_call_that_goes_silent_is_finished_and_leaves_its_channel()
    {
        var source = Source(options: Options with { QueueIds = [], ConversationIds = ["call-never-heard"], CallSilence = TimeSpan.FromSeconds(1) });
        using var listening = new Listening(source);
        await UntilAsync(() => _emulator.SubscribedTopics.Contains("v2.conversations.call-never-heard.transcription"));

        await listening.UntilAsync(l => l.Events.OfType<CallFinished>().Any(), seconds: 10);

        var finished = Assert.Single(listening.Events.OfType<CallFinished>());
        Assert.Equal("call-never-heard", finished.ConversationId);
        Assert.Contains("not heard", finished.Reason, StringComparison.Ordinal);
        await UntilAsync(() => !_emulator.SubscribedTopics.Contains("v2.conversations.call-never-heard.transcription"));
    }

    [Fact]
    public async Task A_burst_of_new_calls_is_subscribed_in_a_few_batched_requests_not_one_each()
    {
        // sixty calls announced within a tenth of a second
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Scenario = "load:60:20", Speed = 20 });
        var source = new NotificationsSource(_http, emulator.ClientOptions(), TimeProvider.System, NullLogger.Instance);
        using var listening = new Listening(source);

        await UntilAsync(() => emulator.SubscribedTopics.Count(t => t.EndsWith(".transcription", StringComparison.Ordinal)) == 60, seconds: 20);

        // the first list, then the burst in a request or two
        Assert.True(emulator.SubscriptionRequests <= 4, $"{emulator.SubscriptionRequests} subscription requests for 60 calls");
    }

    [Fact]
    public async Task Thirty_calls_over_channels_of_ten_topics_are_all_heard()
    {
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Scenario = "load:30:20", Speed = 10 });
        var source = new NotificationsSource(_http, emulator.ClientOptions() with { TopicsPerChannel = 10 }, TimeProvider.System, NullLogger.Instance);
        using var listening = new Listening(source);

        await listening.UntilAsync(l => l.Events.OfType<TranscriptReceived>().Select(t => t.ConversationId).Distinct().Count() == 30, seconds: 20);

        Assert.Equal(30, listening.Events.OfType<TranscriptReceived>().Select(t => t.ConversationId).Distinct().Count());
        Assert.Equal(4, source.Channels);
    }

    [Fact]
    public async Task Agent_topics_find_calls_as_queue_topics_do()
    {
        var source = Source(options: Options with { QueueIds = [], UserIds = ["agent-7"] });
        using var listening = new Listening(source);

        await UntilAsync(() => source.Connected);

        Assert.Contains("v2.users.agent-7.conversations", _emulator.SubscribedTopics);
        Assert.DoesNotContain(_emulator.SubscribedTopics, t => t.StartsWith("v2.routing.queues.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Subscribing_again_in_time_keeps_a_quiet_channel_alive_past_its_lifetime(bool renew)
    {
        // calls play in under two seconds; after that the channel hears nothing at all
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 50, ChannelLifetime = TimeSpan.FromSeconds(2) });
        var options = emulator.ClientOptions() with
        {
            ChannelRenewal = renew ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromHours(12),
        };
        var source = new NotificationsSource(_http, options, TimeProvider.System, NullLogger.Instance);
        using var listening = new Listening(source);

        if (renew)
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
        else
        {
            // subscription changes while calls play extend the channel too, so when it runs out varies
            await UntilAsync(() => emulator.ChannelsCreated >= 2, seconds: 20);
        }

        Assert.Null(listening.Error);
        if (renew)
        {
            Assert.Equal(0, emulator.ChannelsExpired);
            Assert.Equal(1, emulator.ChannelsCreated);
            Assert.Empty(listening.Events.OfType<SourceDisconnected>());
        }
        else
        {
            Assert.True(emulator.ChannelsExpired >= 1, "without renewal the channel runs out");
            Assert.True(emulator.ChannelsCreated >= 2, "and the client opens a new one");
        }
    }

    [Fact]
    public async Task An_expired_channel_is_replaced_by_a_new_one_and_the_unheard_interval_reported()
    {
        var source = Source();
        using var listening = new Listening(source);
        await listening.UntilAsync(l => l.Events.OfType<TranscriptReceived>().Any());

        await _emulator.ExpireChannelsAsync(all: true);
        await listening.UntilAsync(l => l.Events.OfType<SourceDisconnected>().Any() && source.Connected);

        Assert.True(source.Connected, $"not reconnected: {source.Reconnects} attempts, {_emulator.ChannelsCreated} channels created, error {listening.Error?.Message}");
        var down = Assert.Single(listening.Events.OfType<SourceDisconnected>());
        Assert.Contains("expired", down.Reason, StringComparison.Ordinal);
        Assert.Equal(2, _emulator.ChannelsCreated);
        var before = listening.Finals;
        await listening.UntilAsync(l => l.Finals > before);
        Assert.True(listening.Finals > before, "transcripts flow on the new channel");
    }

    [Fact]
    public async Task Concurrent_callers_share_one_token_fetch()
    {
        var tokens = new TokenProvider(_http, Options, TimeProvider.System);

        var all = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () => await tokens.GetAsync(CancellationToken.None))));

        Assert.Single(all.Distinct());
        Assert.Equal(1, _emulator.TokensIssued);
    }

    [Fact]
    public async Task A_token_is_refreshed_sixty_seconds_before_it_expires_in_virtual_time()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));
        var tokens = new TokenProvider(_http, Options, time);
        var first = await tokens.GetAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(86399 - 61));
        Assert.Equal(first, await tokens.GetAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.NotEqual(first, await tokens.GetAsync(CancellationToken.None));
        Assert.Equal(2, _emulator.TokensIssued);
    }

    [Fact]
    public async Task Wrong_credentials_fail_with_a_message_naming_the_settings()
    {
        var tokens = new TokenProvider(_http, Options with { ClientSecret = "wrong" }, TimeProvider.System);

        var e = await Assert.ThrowsAsync<GenesysAuthException>(() => tokens.GetAsync(CancellationToken.None).AsTask());

        Assert.Contains("Genesys:ClientSecret", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Calls_announced_on_the_queue_are_followed_and_every_final_arrives()
    {
        using var listening = new Listening(Source());
        var expected = _emulator.Scenario.Calls.Sum(c => c.Utterances.Count);

        await listening.UntilAsync(l => l.Finals >= expected && l.Events.OfType<CallFinished>().Count() == _emulator.Scenario.Calls.Count);

        Assert.Null(listening.Error);
        Assert.Equal(expected, listening.Finals);
        Assert.Equal(_emulator.Scenario.Calls.Select(c => c.ConversationId).Order(), listening.Events.OfType<CallFinished>().Select(f => f.ConversationId).Order());
    }

    [Fact]
    public async Task A_call_that_ends_leaves_the_channels_subscriptions()
    {
        using var listening = new Listening(Source());
        await listening.UntilAsync(l => l.Events.OfType<CallFinished>().Count() == _emulator.Scenario.Calls.Count);
        await Task.Delay(300);

        Assert.Equal([$"v2.routing.queues.{_emulator.Scenario.QueueId}.conversations"], _emulator.SubscribedTopics);
    }

    [Fact]
    public async Task A_socket_silent_past_the_heartbeat_timeout_is_declared_dead_and_replaced()
    {
        var source = new NotificationsSource(_http, Options with { HeartbeatTimeout = TimeSpan.FromSeconds(1) }, TimeProvider.System, NullLogger.Instance);
        using var listening = new Listening(source);
        await listening.UntilAsync(l => l.Events.OfType<CallFinished>().Count() == _emulator.Scenario.Calls.Count);

        // the scenario is over and the emulator's heartbeat comes only every 30 s
        await listening.UntilAsync(l => l.Events.OfType<SourceDisconnected>().Any(), seconds: 10);

        var down = Assert.Single(listening.Events.OfType<SourceDisconnected>().Take(1));
        Assert.Contains("heartbeat", down.Reason, StringComparison.Ordinal);
        await listening.UntilAsync(_ => source.Connected);
        Assert.True(source.Connected);
    }

    [Fact]
    public async Task An_expired_token_gets_a_401_that_is_refreshed_once_and_the_call_retried()
    {
        var source = Source();
        using var listening = new Listening(source);
        await listening.UntilAsync(l => l.Events.OfType<TranscriptReceived>().Any());
        _emulator.ExpireTokens();
        // the reconnect's REST calls meet the 401
        _emulator.DropSockets();

        await listening.UntilAsync(l => l.Events.OfType<SourceDisconnected>().Any() && source.Connected);

        Assert.Null(listening.Error);
        Assert.True(source.Connected);
        Assert.Equal(2, _emulator.TokensIssued);
    }

    [Fact]
    public async Task Rate_limited_calls_wait_for_Retry_After_and_then_succeed()
    {
        _emulator.Faults.TooManyRequests(2, retryAfterSeconds: 1);
        var started = DateTime.UtcNow;
        var source = Source();
        using var listening = new Listening(source);

        await listening.UntilAsync(_ => source.Connected);

        Assert.Null(listening.Error);
        Assert.True(source.Connected);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1.9), "two 429s with Retry-After: 1 were honoured");
    }

    [Fact]
    public async Task A_missing_permission_fails_with_a_message_naming_it()
    {
        _emulator.Faults.Forbid(1);
        using var listening = new Listening(Source());

        await listening.UntilAsync(l => l.Error is not null, seconds: 10);

        var e = Assert.IsType<GenesysAuthException>(listening.Error);
        Assert.Contains("conversation:transcription:view", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abort")]
    [InlineData("1001")]
    public async Task A_dropped_socket_reconnects_resubscribes_and_reports_the_interval_it_was_down(string how)
    {
        var source = Source();
        using var listening = new Listening(source);
        await listening.UntilAsync(l => l.Events.OfType<TranscriptReceived>().Any());

        if (how == "abort")
        {
            _emulator.DropSockets();
        }
        else
        {
            await _emulator.CloseSocketsAsync(WebSocketCloseStatus.EndpointUnavailable, "idle timeout");
        }
        await listening.UntilAsync(l => l.Events.OfType<SourceDisconnected>().Any());
        var before = listening.Events.OfType<TranscriptReceived>().Count();
        await listening.UntilAsync(l => l.Events.OfType<TranscriptReceived>().Count() > before + 3);

        var down = Assert.Single(listening.Events.OfType<SourceDisconnected>());
        Assert.True(down.ReceivedAt > down.From);
        Assert.NotEmpty(down.ConversationIds);
        Assert.True(source.Reconnects >= 1);
        Assert.True(listening.Events.OfType<TranscriptReceived>().Count() > before, "transcripts flow again after resubscribing");
        Assert.Equal(1, _emulator.ChannelsCreated);
    }

    [Fact]
    public async Task Malformed_and_oversized_frames_become_quarantine_values_and_the_stream_goes_on()
    {
        using var listening = new Listening(Source());
        await listening.UntilAsync(l => l.Events.OfType<TranscriptReceived>().Any());

        await _emulator.InjectFrameAsync("{\"topicName\": \"v2.conversations.x.transcription\", \"eventBody\": {\"transcripts\": [");
        await _emulator.InjectFrameAsync("{\"topicName\": 42}");
        await _emulator.InjectFrameAsync("{\"topicName\": \"v2.conversations.x.transcription\", \"eventBody\": {\"transcripts\": [{\"utteranceId\": 1}]}}");
        await _emulator.InjectFrameAsync(new string('[', 5000));
        var oversized = "{\"pad\": \"" + new string('x', 2_000_000) + "\"}";
        await _emulator.InjectFrameAsync(oversized);
        var before = listening.Finals;
        await listening.UntilAsync(l => l.Events.OfType<MalformedFrame>().Count() >= 5 && l.Finals > before);

        var bad = listening.Events.OfType<MalformedFrame>().ToList();
        Assert.Equal(5, bad.Count);
        Assert.All(bad, b => Assert.False(string.IsNullOrEmpty(b.Reason)));
        var big = Assert.Single(bad, b => b.Length == oversized.Length);
        Assert.True(big.Raw.Length <= 8192 && big.Reason.Contains("over", StringComparison.Ordinal), big.Reason);
        Assert.True(listening.Finals > before);
    }

    [Fact]
    public async Task Duplicated_and_skipped_messages_reach_the_pipeline_as_they_were_sent()
    {
        _emulator.Faults.DuplicateRate = 0.2;
        _emulator.Faults.SkipRate = 0.1;
        using var listening = new Listening(Source());
        await listening.UntilAsync(l => l.Events.OfType<CallFinished>().Count() == _emulator.Scenario.Calls.Count);

        var sent = _emulator.Sent;
        Assert.True(sent.GetValueOrDefault("duplicate") > 0 && sent.GetValueOrDefault("skipped") > 0);
        Assert.Equal(sent.GetValueOrDefault("partial") + sent.GetValueOrDefault("final") + sent.GetValueOrDefault("duplicate"),
            listening.Events.OfType<TranscriptReceived>().Count());
    }

    [Fact]
    public async Task Frames_on_topics_of_another_shape_are_counted_and_ignored_never_quarantined_or_followed_as_calls()
    {
        var source = Source();
        using var listening = new Listening(source);
        await listening.UntilAsync(l => l.Events.OfType<TranscriptReceived>().Any());

        await _emulator.InjectFrameAsync("""{"topicName":"v2.users.agent-7.presence","eventBody":{"presenceDefinition":{"systemPresence":"Available"}}}""");
        await _emulator.InjectFrameAsync("""{"topicName":"v2.routing.queues.q-1.users","eventBody":{"id":"agent-7","joined":true}}""");
        await _emulator.InjectFrameAsync("""{"topicName":"v2.users.agent-8.conversations.calls","eventBody":{"id":"agent-8"}}""");
        // frames on one socket are read in order: once this marker is in, the three before it were handled
        await _emulator.InjectFrameAsync("""{"topicName": 42}""");
        await listening.UntilAsync(l => l.Events.OfType<MalformedFrame>().Any());

        Assert.Equal("not a notification envelope (no topicName)", Assert.Single(listening.Events.OfType<MalformedFrame>()).Reason);
        Assert.Equal(3, source.UnknownTopics);
        Assert.False(source.Follows("agent-7"));
        Assert.False(source.Follows("agent-8"));
        Assert.DoesNotContain(listening.Events.OfType<SourceDisconnected>(), d => d.ConversationIds.Contains("agent-7"));
    }

    [Fact]
    public async Task Subscription_changes_that_time_out_or_are_refused_are_retried_and_a_call_subscribed_late_gets_one_gap_from_when_it_was_found()
    {
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 4 });
        emulator.Faults.FailSubscriptionAdds(timeouts: 1, serverErrors: 1, tooManyRequests: 1);
        var options = emulator.ClientOptions() with
        {
            MaxRetries = 1,
            RetryDelay = TimeSpan.FromMilliseconds(100),
            RequestTimeout = TimeSpan.FromMilliseconds(500),
            SubscribeWithin = TimeSpan.FromSeconds(1),
        };
        var calls = emulator.Scenario.Calls.Select(c => c.ConversationId).ToList();
        using var listening = new Listening(new NotificationsSource(_http, options, TimeProvider.System, NullLogger.Instance));

        await listening.UntilAsync(l => l.Events.OfType<CallFinished>().Count() == calls.Count, seconds: 60);

        Assert.Null(listening.Error);
        Assert.Equal(3, emulator.Faults.SubscriptionFaultsServed);
        // the sender outlived the timeout: every call, the ones found after it too, was subscribed and heard
        Assert.All(calls, c => Assert.Contains(listening.Events.OfType<TranscriptReceived>(), t => t.ConversationId == c));
        var late = listening.Events.OfType<SourceDisconnected>().Where(d => d.Reason.StartsWith("not subscribed", StringComparison.Ordinal)).ToList();
        Assert.Contains(late, d => d.ConversationIds.SequenceEqual([calls[0]]));
        Assert.Equal(late.Count, late.Select(d => d.ConversationIds.Single()).Distinct().Count());
        Assert.All(late, d => Assert.True(d.ReceivedAt - d.From > options.SubscribeWithin, $"{d.From:O}..{d.ReceivedAt:O}"));
        Assert.All(late, d => Assert.Contains("Exception", d.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_call_never_subscribed_before_it_ends_is_recorded_unheard_from_when_it_was_found_to_its_end()
    {
        _emulator.Faults.FailSubscriptionAdds(timeouts: 1000, serverErrors: 0, tooManyRequests: 0);
        var options = Options with { MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(100), RequestTimeout = TimeSpan.FromMilliseconds(200), SubscribeWithin = TimeSpan.FromSeconds(1) };
        var calls = _emulator.Scenario.Calls.Select(c => c.ConversationId).ToList();
        using var listening = new Listening(new NotificationsSource(_http, options, TimeProvider.System, NullLogger.Instance));

        await listening.UntilAsync(l => l.Events.OfType<CallFinished>().Count() == calls.Count, seconds: 60);

        Assert.Null(listening.Error);
        var events = listening.Events.ToList();
        // a call's end puts the channel's whole list (a PUT, which works), so calls still open then are subscribed then
        var neverSubscribed = 0;
        foreach (var call in calls)
        {
            var gaps = events.OfType<SourceDisconnected>().Where(d => d.ConversationIds.Contains(call)).ToList();
            Assert.True(gaps.Count <= 1, $"{gaps.Count} gaps for {call}: recorded once");
            if (gaps.Count == 0)
            {
                Assert.Contains(events.OfType<TranscriptReceived>(), t => t.ConversationId == call);
                continue;
            }
            if (gaps[0].Reason.StartsWith("not subscribed until", StringComparison.Ordinal))
            {
                continue;
            }
            neverSubscribed++;
            Assert.StartsWith("never subscribed before the call ended: TimeoutRejectedException", gaps[0].Reason, StringComparison.Ordinal);
            Assert.DoesNotContain(events.OfType<TranscriptReceived>(), t => t.ConversationId == call);
            var end = Assert.Single(events.OfType<CallFinished>(), f => f.ConversationId == call);
            Assert.Equal(end.ReceivedAt, gaps[0].ReceivedAt);
            Assert.True(events.IndexOf(gaps[0]) < events.IndexOf(end), "the gap is recorded before the call's end");
        }
        Assert.True(neverSubscribed > 0, "the first call to end was never subscribed");
    }

    [Fact]
    public async Task Stopping_closes_the_socket_with_a_close_frame_rather_than_dropping_it()
    {
        var source = Source();
        var listening = new Listening(source);
        await listening.UntilAsync(l => l.Events.OfType<TranscriptReceived>().Any());

        listening.Dispose();
        await UntilAsync(() => !_emulator.ClientCloses.IsEmpty);

        Assert.Equal("1001 recorder stopping", Assert.Single(_emulator.ClientCloses));
    }
}
