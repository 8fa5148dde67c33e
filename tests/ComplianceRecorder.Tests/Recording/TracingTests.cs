using System.Collections.Concurrent;
using System.Diagnostics;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.Recording;
using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.Recording;

/// <summary>Each durable segment leaves a trace of its path: receive, then redact, then append.</summary>
public sealed class TracingTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task A_durable_segment_is_one_span_with_redact_then_append_inside_it_and_no_text()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == RecorderMetrics.MeterName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 20 });
        await using (var recording = new LiveRecording(emulator, db, "tracing"))
        {
            var recorder = recording.Recorder;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (recorder.Segments < 20 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }

        var segments = spans.Where(s => s.OperationName == "segment").ToList();
        Assert.NotEmpty(segments);
        foreach (var segment in segments.Take(50))
        {
            var inside = spans.Where(s => s.ParentSpanId == segment.SpanId).OrderBy(s => s.StartTimeUtc).ToList();
            Assert.Equal(["redact", "append"], inside.Select(s => s.OperationName));
            Assert.True(inside[0].StartTimeUtc >= segment.StartTimeUtc && inside[1].StartTimeUtc >= inside[0].StartTimeUtc + inside[0].Duration);
            Assert.Equal(segment.StartTimeUtc + segment.Duration, inside[1].StartTimeUtc + inside[1].Duration);
            Assert.All(inside, s => Assert.Equal(segment.TraceId, s.TraceId));
            Assert.NotNull(segment.GetTagItem("conversation.id"));
            Assert.DoesNotContain(segment.TagObjects, t => t.Key.Contains("text", StringComparison.OrdinalIgnoreCase));
        }
    }
}
