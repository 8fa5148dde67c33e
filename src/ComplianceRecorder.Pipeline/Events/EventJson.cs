using System.Text.Json;
using System.Text.Json.Serialization;

namespace ComplianceRecorder.Pipeline.Events;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never, Converters = [typeof(JsonSafeString)])]
[JsonSerializable(typeof(RecordedEvent))]
[JsonSerializable(typeof(SegmentRecorded))]
[JsonSerializable(typeof(CoverageGapRecorded))]
[JsonSerializable(typeof(FrameQuarantined))]
[JsonSerializable(typeof(CallStarted))]
[JsonSerializable(typeof(CallEnded))]
[JsonSerializable(typeof(MetricsWindowClosed))]
[JsonSerializable(typeof(ReportAccessed))]
[JsonSerializable(typeof(BackfillFailed))]
[JsonSerializable(typeof(EventRefused))]
[JsonSerializable(typeof(LegalHoldPlaced))]
[JsonSerializable(typeof(LegalHoldLifted))]
[JsonSerializable(typeof(CustomerTagged))]
[JsonSerializable(typeof(CallErased))]
[JsonSerializable(typeof(CallExpired))]
[JsonSerializable(typeof(ErasureRequested))]
[JsonSerializable(typeof(RetentionPolicySet))]
public sealed partial class EventJson : JsonSerializerContext
{
    /// <summary>
    /// The event's own fields, without the polymorphic discriminator: the type is a column. Every string
    /// goes through <see cref="JsonSafeString"/>, so nothing jsonb refuses reaches the store.
    /// </summary>
    public static string Serialize(RecordedEvent e) => e switch
    {
        SegmentRecorded s => JsonSerializer.Serialize(s, Default.SegmentRecorded),
        CoverageGapRecorded g => JsonSerializer.Serialize(g, Default.CoverageGapRecorded),
        FrameQuarantined q => JsonSerializer.Serialize(q, Default.FrameQuarantined),
        CallStarted c => JsonSerializer.Serialize(c, Default.CallStarted),
        CallEnded c => JsonSerializer.Serialize(c, Default.CallEnded),
        MetricsWindowClosed m => JsonSerializer.Serialize(m, Default.MetricsWindowClosed),
        ReportAccessed r => JsonSerializer.Serialize(r, Default.ReportAccessed),
        BackfillFailed b => JsonSerializer.Serialize(b, Default.BackfillFailed),
        EventRefused r => JsonSerializer.Serialize(r, Default.EventRefused),
        LegalHoldPlaced x => JsonSerializer.Serialize(x, Default.LegalHoldPlaced),
        LegalHoldLifted x => JsonSerializer.Serialize(x, Default.LegalHoldLifted),
        CustomerTagged x => JsonSerializer.Serialize(x, Default.CustomerTagged),
        CallErased x => JsonSerializer.Serialize(x, Default.CallErased),
        CallExpired x => JsonSerializer.Serialize(x, Default.CallExpired),
        ErasureRequested x => JsonSerializer.Serialize(x, Default.ErasureRequested),
        RetentionPolicySet x => JsonSerializer.Serialize(x, Default.RetentionPolicySet),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "not a recorded event type"),
    };

    /// <summary>Reads an event back; older schema versions are upcast here, never rewritten in the store.</summary>
    public static RecordedEvent? Deserialize(string type, int schemaVersion, string json) => type switch
    {
        Events.SegmentRecorded.TypeName => JsonSerializer.Deserialize(json, Default.SegmentRecorded),
        Events.CoverageGapRecorded.TypeName => JsonSerializer.Deserialize(json, Default.CoverageGapRecorded),
        Events.FrameQuarantined.TypeName => JsonSerializer.Deserialize(json, Default.FrameQuarantined),
        Events.CallStarted.TypeName => JsonSerializer.Deserialize(json, Default.CallStarted),
        Events.CallEnded.TypeName => JsonSerializer.Deserialize(json, Default.CallEnded),
        Events.MetricsWindowClosed.TypeName => JsonSerializer.Deserialize(json, Default.MetricsWindowClosed),
        Events.ReportAccessed.TypeName => JsonSerializer.Deserialize(json, Default.ReportAccessed),
        Events.BackfillFailed.TypeName => JsonSerializer.Deserialize(json, Default.BackfillFailed),
        Events.EventRefused.TypeName => JsonSerializer.Deserialize(json, Default.EventRefused),
        Events.LegalHoldPlaced.TypeName => JsonSerializer.Deserialize(json, Default.LegalHoldPlaced),
        Events.LegalHoldLifted.TypeName => JsonSerializer.Deserialize(json, Default.LegalHoldLifted),
        Events.CustomerTagged.TypeName => JsonSerializer.Deserialize(json, Default.CustomerTagged),
        Events.CallErased.TypeName => JsonSerializer.Deserialize(json, Default.CallErased),
        Events.CallExpired.TypeName => JsonSerializer.Deserialize(json, Default.CallExpired),
        Events.ErasureRequested.TypeName => JsonSerializer.Deserialize(json, Default.ErasureRequested),
        Events.RetentionPolicySet.TypeName => JsonSerializer.Deserialize(json, Default.RetentionPolicySet),
        _ => null,
    };
}
