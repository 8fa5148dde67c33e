using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.EndToEnd;

/// <summary>Emulator → real WebSocket → client → pipeline → real PostgreSQL, as the demo runs it.</summary>
public sealed class DemoEndToEndTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task Every_scripted_final_is_recorded_redacted_and_the_chains_verify()
    {
        await using var emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 10 });
        var expectedFinals = emulator.Scenario.Calls.Sum(c => c.Utterances.Count);
        await using (new LiveRecording(emulator, db, "e2e"))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && await db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE is_final") < expectedFinals)
            {
                await Task.Delay(200);
            }
        }

        var perCall = await db.ScalarAsync<string>("SELECT string_agg(conversation_id || '=' || n, ', ') FROM (SELECT conversation_id, count(*) n FROM audit_log WHERE is_final GROUP BY conversation_id) x");
        var gaps = await db.ScalarAsync<string>("SELECT coalesce(string_agg(data->>'detail', ' | '), '') FROM events WHERE type = 'coverage_gap_recorded'");
        Assert.True(expectedFinals == await db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE is_final"),
            $"expected {expectedFinals} finals ({string.Join(", ", emulator.Scenario.Calls.Select(c => c.ConversationId + "=" + c.Utterances.Count))}); recorded {perCall}; gaps: {gaps}");
        Assert.Equal(emulator.Scenario.Calls.Count, (int)await db.ScalarAsync<long>("SELECT count(*) FROM call_summaries"));
        var texts = await db.ScalarAsync<string>("SELECT string_agg(data->>'text', ' | ') FROM events WHERE type = 'segment_recorded'");
        foreach (var secret in new[] { "four one one one", "5555 5555 5555 4444", "seven three seven", "jane dot doe", "double five two one", "nine eight seven six" })
        {
            Assert.DoesNotContain(secret, texts, StringComparison.Ordinal);
        }
        Assert.Contains("[CARD]", texts, StringComparison.Ordinal);
        Assert.Contains("confirmation number is 58213", texts, StringComparison.Ordinal);
        Assert.True((await ChainVerifier.VerifyAsync(db.DataSource)).Ok);
    }
}
