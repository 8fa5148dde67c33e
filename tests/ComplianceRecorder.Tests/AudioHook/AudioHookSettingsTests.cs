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

        public int Chunks => Volatile.Read(ref _chunks);

        public ISpeechStream Open(SpeechStreamInfo info) => new Stream(this, released);

        private sealed class Stream(StalledRecognizer owner, Task released) : ISpeechStream
        {
            public async ValueTask AcceptAsync(ReadOnlyMemory<short> audio, ICollection<SpeechHypothesis> output, CancellationToken ct)
            {
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
