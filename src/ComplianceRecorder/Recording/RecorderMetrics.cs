using System.Diagnostics;
using System.Diagnostics.Metrics;
using ComplianceRecorder.Pipeline.Events;

namespace ComplianceRecorder.Recording;

/// <summary>
/// The recorder's instruments and spans, for OpenTelemetry or any other listener. Latencies in seconds
/// with buckets fit for milliseconds; no per-call labels, so the series count stays fixed however many
/// calls run. Spans carry the call id and the segment's times, never its text.
/// </summary>
internal static class RecorderMetrics
{
    public const string MeterName = "ComplianceRecorder";

    public static readonly ActivitySource Tracing = new(MeterName);

    private static readonly InstrumentAdvice<double> Seconds = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    };

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> ReceiveToDurable = Meter.CreateHistogram("recorder.segment.receive_to_durable", "s", "From receiving a segment to its commit", advice: Seconds);
    private static readonly Histogram<double> ReceiveToCaption = Meter.CreateHistogram("recorder.segment.receive_to_caption", "s", "From receiving a segment to publishing its caption", advice: Seconds);
    private static readonly Histogram<double> SourceToReceive = Meter.CreateHistogram("recorder.segment.source_to_receive", "s", "From the end of the utterance on the source's clock to receiving it; includes clock skew", advice: Seconds);
    private static readonly Counter<long> Segments = Meter.CreateCounter<long>("recorder.segments", "{segment}");
    private static readonly Counter<long> Gaps = Meter.CreateCounter<long>("recorder.gaps", "{gap}");
    private static readonly Counter<long> QuarantinedFrames = Meter.CreateCounter<long>("recorder.frames.quarantined", "{frame}");

    private static volatile HostState? _host;

    private sealed record HostState(Func<int> Calls, Func<int> Backlog, Func<long> ProjectionLag, Func<bool> Connected);

    static RecorderMetrics()
    {
        Meter.CreateObservableGauge("recorder.calls.active", () => _host?.Calls() ?? 0, "{call}", "Calls heard and not yet ended");
        Meter.CreateObservableGauge("recorder.commit.backlog", () => _host?.Backlog() ?? 0, "{event}", "Events waiting for their commit");
        Meter.CreateObservableGauge("recorder.projection.lag", () => _host?.ProjectionLag() ?? 0, "{event}", "Events not yet projected");
        Meter.CreateObservableGauge("recorder.genesys.connected", () => _host?.Connected() == true ? 1 : 0, null, "1 while every Genesys socket is open");
    }

    /// <summary>The running host's state, read at each collection (one host per process; the latest started wins).</summary>
    public static void Observe(Func<int> calls, Func<int> backlog, Func<long> projectionLag, Func<bool> connected) =>
        _host = new HostState(calls, backlog, projectionLag, connected);

    public static void Durable(SegmentRecorded s, DateTimeOffset at)
    {
        Segments.Add(1, new KeyValuePair<string, object?>("final", s.IsFinal));
        ReceiveToDurable.Record((at - s.ReceivedAt).TotalSeconds);
        if (s.LatencyMs is { } source)
        {
            SourceToReceive.Record(source / 1000);
        }
        Trace(s, at);
    }

    public static void Captioned(SegmentRecorded s, DateTimeOffset at) => ReceiveToCaption.Record((at - s.ReceivedAt).TotalSeconds);

    public static void Gap(CoverageGapRecorded g) => Gaps.Add(1, new KeyValuePair<string, object?>("kind", g.Kind.ToString()));

    public static void Quarantined() => QuarantinedFrames.Add(1);

    /// <summary>
    /// A segment's path as spans: receive → redact → append. They are written once the segment is
    /// durable, from the times the segment carries, since its stages run on different threads and a
    /// batch commits many segments at once; with no listener this costs one check.
    /// </summary>
    private static void Trace(SegmentRecorded s, DateTimeOffset durableAt)
    {
        if (!Tracing.HasListeners())
        {
            return;
        }
        using var segment = Tracing.StartActivity("segment", ActivityKind.Consumer, parentContext: default, startTime: s.ReceivedAt);
        if (segment is null)
        {
            return;
        }
        segment.SetTag("conversation.id", s.ConversationId);
        segment.SetTag("segment.final", s.IsFinal);
        segment.SetTag("segment.backfilled", s.Backfilled);
        segment.SetTag("genesys.dialect", s.Dialect);
        Stage("redact", s.ReceivedAt, s.RedactedAt, segment);
        Stage("append", s.RedactedAt, durableAt, segment);
        segment.SetEndTime(durableAt.UtcDateTime);
    }

    private static void Stage(string name, DateTimeOffset from, DateTimeOffset to, Activity parent)
    {
        using var stage = Tracing.StartActivity(name, ActivityKind.Internal, parent.Context, startTime: from);
        stage?.SetEndTime(to.UtcDateTime);
    }
}
