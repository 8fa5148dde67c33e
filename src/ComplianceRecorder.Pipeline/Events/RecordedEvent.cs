using System.Text.Json.Serialization;

namespace ComplianceRecorder.Pipeline.Events;

/// <summary>
/// What the recorder appends. Each event names its stream (one call, or a system stream), its stable
/// type name and schema version (never the CLR name), and the source identity that makes a redelivery
/// of the same thing idempotent. Every stored property names its JSON key itself
/// (<c>[property: JsonPropertyName]</c>): the SQL reads those keys (projections, reports, captions), so a
/// C# rename must not change them; EventContractTests fails when a key the SQL reads is not serialized.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$type")]
[JsonDerivedType(typeof(SegmentRecorded), SegmentRecorded.TypeName)]
[JsonDerivedType(typeof(CoverageGapRecorded), CoverageGapRecorded.TypeName)]
[JsonDerivedType(typeof(FrameQuarantined), FrameQuarantined.TypeName)]
[JsonDerivedType(typeof(CallStarted), CallStarted.TypeName)]
[JsonDerivedType(typeof(CallEnded), CallEnded.TypeName)]
[JsonDerivedType(typeof(MetricsWindowClosed), MetricsWindowClosed.TypeName)]
[JsonDerivedType(typeof(ReportAccessed), ReportAccessed.TypeName)]
[JsonDerivedType(typeof(EventRefused), EventRefused.TypeName)]
[JsonDerivedType(typeof(LegalHoldPlaced), LegalHoldPlaced.TypeName)]
[JsonDerivedType(typeof(LegalHoldLifted), LegalHoldLifted.TypeName)]
[JsonDerivedType(typeof(CustomerTagged), CustomerTagged.TypeName)]
[JsonDerivedType(typeof(CallErased), CallErased.TypeName)]
[JsonDerivedType(typeof(CallExpired), CallExpired.TypeName)]
[JsonDerivedType(typeof(ErasureRequested), ErasureRequested.TypeName)]
[JsonDerivedType(typeof(RetentionPolicySet), RetentionPolicySet.TypeName)]
public abstract record RecordedEvent
{
    [JsonIgnore]
    public abstract string StreamId { get; }

    [JsonIgnore]
    public abstract string Type { get; }

    [JsonIgnore]
    public virtual int SchemaVersion => 1;

    /// <summary>Null when the event has no natural identity at the source.</summary>
    [JsonIgnore]
    public virtual string? SourceKey => null;
}
