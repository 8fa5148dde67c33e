using System.Buffers;
using System.Collections.Concurrent;
using ComplianceRecorder.Genesys.AudioHook;
using ComplianceRecorder.Genesys.Speech;
using ComplianceRecorder.Pipeline.Input;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComplianceRecorder.Tests.AudioHook;

/// <summary>The audiohook dialect's settings, checked as the services are added, and the recognizer's bounded queue.</summary>
public sealed class AudioHookSettingsTests
{
    [Theory]
    [InlineData(null, null, "Genesys:AudioHook:ApiKey is required")]
    [InlineData("key", "not base64!", "Genesys:AudioHook:ClientSecret is not base64 of at least 16 bytes")]
    [InlineData("key", "c2hvcnQ=", "Genesys:AudioHook:ClientSecret is not base64 of at least 16 bytes")]
    public void A_missing_key_or_a_bad_secret_fails_naming_the_setting_and_never_echoing_the_secret(string? key, string? secret, string message)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Genesys:Dialect"] = "audiohook",
            ["Genesys:AudioHook:ApiKey"] = key,
            ["Genesys:AudioHook:ClientSecret"] = secret,
        }).Build();
        var e = Assert.Throws<SettingsException>(() => Settings.Genesys(config));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
        if (secret is not null)
        {
            Assert.DoesNotContain(secret, e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("MaxSessions", "0")]
    [InlineData("MaxSessions", "many")]
    [InlineData("ReconnectGraceSeconds", "-1")]
    public void A_bound_out_of_range_fails_at_start_naming_its_key(string key, string value)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Genesys:Dialect"] = "audiohook",
            ["Genesys:AudioHook:ApiKey"] = "key",
            [$"Genesys:AudioHook:{key}"] = value,
        }).Build();
        var e = Assert.Throws<SettingsException>(() => Settings.Genesys(config));
        Assert.StartsWith($"Genesys:AudioHook:{key} = '{value}' is not a number", e.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_recognizer_that_awaits_never_has_the_channel_block_the_thread_that_resumes_it()
    {
        // the engine's await is resumed inline by whoever completes it (a network callback, here a thread of the
        // test's): a channel that then blocked waiting for more audio would hold that thread until the call ended
        var resume = new TaskCompletionSource();
        var recognizer = new StalledRecognizer(resume.Task);
        var channel = new ChannelTranscriber(new SessionContext("session", "call", "en-US", recognizer, _ => { }, TimeProvider.System, NullLogger.Instance),
            "EXTERNAL", TimeSpan.FromSeconds(20));
        channel.Offer(ArrayPool<short>.Shared.Rent(800), 800, 0, DateTimeOffset.UtcNow);
        await recognizer.Entered.WaitAsync(TimeSpan.FromSeconds(20));

        var returned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callback = new Thread(() =>
        {
            resume.SetResult();
            returned.SetResult();
        });
        callback.Start();
        var freed = await Task.WhenAny(returned.Task, Task.Delay(TimeSpan.FromSeconds(20))) == returned.Task;
        await channel.CompleteAsync();
        Assert.True(freed, "the thread that resumed the recognizer was given back while the channel waited for audio");
        Assert.Equal(1, recognizer.Chunks);
    }

    [Fact(Timeout = 30_000)]
    public async Task Audio_a_stalled_recognizer_cannot_take_is_dropped_without_blocking_the_reader_and_recorded_as_a_gap()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recognizer = new StalledRecognizer(release.Task);
        var events = new ConcurrentQueue<SourceEvent>();
        var channel = new ChannelTranscriber(new SessionContext("session", "call", "en-US", recognizer, events.Enqueue, TimeProvider.System, NullLogger.Instance),
            "EXTERNAL", TimeSpan.FromSeconds(2));

        // ten seconds of audio while the recognizer is stuck on its first chunk: the reader is never held
        for (var i = 0; i < 100; i++)
        {
            channel.Offer(ArrayPool<short>.Shared.Rent(800), 800, i * 800L, DateTimeOffset.UtcNow);
        }
        release.SetResult();
        await channel.CompleteAsync();

        // two seconds were queued and recognised; the other eight are a gap that says why
        Assert.Equal(20, recognizer.Chunks);
        var gap = Assert.Single(events.OfType<SourceDisconnected>());
        Assert.Equal(["call"], gap.ConversationIds);
        Assert.Equal("8.0 s of EXTERNAL audio not recognised: recognition was more than 2 s behind", gap.Detail);
    }

    /// <summary>An engine that takes its first chunk only when released, as a recognizer far slower than real time.</summary>
    private sealed class StalledRecognizer(Task released) : ISpeechRecognizer
    {
        private int _chunks;
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Chunks => Volatile.Read(ref _chunks);

        /// <summary>Done once the engine was handed audio.</summary>
        public Task Entered => _entered.Task;

        public ISpeechStream Open(SpeechStreamInfo info) => new Stream(this, released);

        private sealed class Stream(StalledRecognizer owner, Task released) : ISpeechStream
        {
            public async ValueTask AcceptAsync(ReadOnlyMemory<short> audio, ICollection<SpeechHypothesis> output, CancellationToken ct)
            {
                owner._entered.TrySetResult();
                await released;
                Interlocked.Increment(ref owner._chunks);
            }

            public ValueTask CompleteAsync(ICollection<SpeechHypothesis> output, CancellationToken ct) => ValueTask.CompletedTask;

            public void Dispose()
            {
            }
        }
    }
}
