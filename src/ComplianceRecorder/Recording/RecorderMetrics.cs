using System.Diagnostics.Metrics;
using ComplianceRecorder.Pipeline.Events;

namespace ComplianceRecorder.Recording;

/// <summary>
/// The recorder's instruments, for OpenTelemetry or any other System.Diagnostics.Metrics listener.
/// Latencies in seconds; no per-call labels, so the series count stays fixed however many calls run.
/// </summary>
internal static class RecorderMetrics
{
    public const string MeterName = "ComplianceRecorder";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> ReceiveToDurable = Meter.CreateHistogram<double>("recorder.segment.receive_to_durable", "s", "From receiving a segment to its commit");
    private static readonly Histogram<double> ReceiveToCaption = Meter.CreateHistogram<double>("recorder.segment.receive_to_caption", "s", "From receiving a segment to publishing its caption");
    private static readonly Histogram<double> SourceToReceive = Meter.CreateHistogram<double>("recorder.segment.source_to_receive", "s", "From the end of the utterance on the source's clock to receiving it; includes clock skew");
    private static readonly Counter<long> Segments = Meter.CreateCounter<long>("recorder.segments", "{segment}");
    private static readonly Counter<long> Gaps = Meter.CreateCounter<long>("recorder.gaps", "{gap}");
    private static readonly Counter<long> QuarantinedFrames = Meter.CreateCounter<long>("recorder.frames.quarantined", "{frame}");

    public static void Durable(SegmentRecorded s, DateTimeOffset at)
    {
        Segments.Add(1, new KeyValuePair<string, object?>("final", s.IsFinal));
        ReceiveToDurable.Record((at - s.ReceivedAt).TotalSeconds);
        if (s.LatencyMs is { } source)
        {
            SourceToReceive.Record(source / 1000);
        }
    }

    public static void Captioned(SegmentRecorded s, DateTimeOffset at) => ReceiveToCaption.Record((at - s.ReceivedAt).TotalSeconds);

    public static void Gap(CoverageGapRecorded g) => Gaps.Add(1, new KeyValuePair<string, object?>("kind", g.Kind.ToString()));

    public static void Quarantined() => QuarantinedFrames.Add(1);
}
