using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Testing;
using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.Redaction;

/// <summary>A name said live reaches the store as [NAME], counted with the segment's entities and in the audit projection.</summary>
public sealed class PersonalDetailsInTheRecordTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task A_live_segment_with_a_name_is_stored_as_NAME_and_counted()
    {
        var call = "call-" + Guid.NewGuid();
        var run = PipelineRun.Start(Call.Script(call)
            .At(1_000).Partial("hi my name is bartholomew", "EXTERNAL")
            .At(2_000).Final("hi my name is bartholomew okonkwo and i live at 12 larkspur lane", "EXTERNAL")
            .At(3_000).End());
        var segments = run.Events.OfType<SegmentRecorded>().ToList();

        Assert.Equal(["hi my name is [NAME]", "hi my name is [NAME] and i live at [ADDRESS]"], segments.Select(s => s.Text));
        var final = segments.Single(s => s.IsFinal);
        Assert.Equal(1, final.Entities["NAME"]);
        Assert.Equal(1, final.Entities["ADDRESS"]);

        await db.Store().AppendAsync([.. run.Events.Select(e => new ComplianceRecorder.EventStore.Appending.PendingEvent(e))]);
        Assert.Equal(1, await db.ScalarAsync<int>($"SELECT (entities->>'NAME')::int FROM audit_log WHERE conversation_id = '{call}' AND is_final"));
        Assert.Equal("PII_REDACTED", await db.ScalarAsync<string>($"SELECT compliance_flag FROM audit_log WHERE conversation_id = '{call}' AND is_final"));
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id = '{call}' AND data::text ILIKE '%bartholomew%'"));
    }
}
