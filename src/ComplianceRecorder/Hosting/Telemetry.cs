using ComplianceRecorder.Recording;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ComplianceRecorder.Hosting;

/// <summary>
/// OpenTelemetry: the recorder's meter and the runtime's (GC pauses, heap) scraped at /metrics in
/// Prometheus' format; the segment spans, and both signals over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT
/// names a collector (the SDK reads the standard OTEL_* variables itself).
/// </summary>
internal static class Telemetry
{
    /// <summary>Present when /metrics has an exporter to serve; an embedding host may wire its own telemetry instead.</summary>
    public sealed class PrometheusScraping;

    /// <summary>For an embedding host: the recorder's meter and spans join its own OpenTelemetry pipeline and exporters.</summary>
    public static void AddSources(IServiceCollection services) =>
        services.AddOpenTelemetry()
            .WithMetrics(m => m.AddMeter(RecorderMetrics.MeterName))
            .WithTracing(t => t.AddSource(RecorderMetrics.MeterName));

    public static void Add(IServiceCollection services, IConfiguration config)
    {
        services.AddSingleton<PrometheusScraping>();
        var otlp = !string.IsNullOrEmpty(config["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("compliance-recorder"))
            .WithMetrics(m =>
            {
                m.AddMeter(RecorderMetrics.MeterName).AddRuntimeInstrumentation().AddPrometheusExporter();
                if (otlp)
                {
                    m.AddOtlpExporter();
                }
            })
            .WithTracing(t =>
            {
                t.AddSource(RecorderMetrics.MeterName);
                if (otlp)
                {
                    t.AddOtlpExporter();
                }
            });
    }
}
