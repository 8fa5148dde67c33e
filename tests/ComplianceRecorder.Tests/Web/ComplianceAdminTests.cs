using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ComplianceRecorder.Tests.Infrastructure;
using ComplianceRecorder.Tests.Retention;

namespace ComplianceRecorder.Tests.Web;

/// <summary>The compliance admin's routes on the whole recorder: tags, holds, erasure and retention, each recorded.</summary>
public sealed class ComplianceAdminTests(DemoHost demo) : IClassFixture<DemoHost>
{
    private async Task<Dictionary<string, List<string>>> CaptionsByCallAsync()
    {
        using var auditor = demo.Client(DemoHost.AuditorKey);
        var calls = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var call in (await auditor.GetFromJsonAsync<JsonElement[]>("/api/calls"))!.Select(c => c.GetProperty("conversationId").GetString()!))
        {
            var captions = (await auditor.GetFromJsonAsync<JsonElement[]>($"/api/calls/{call}/captions"))!;
            calls[call] = [.. captions.Where(c => c.GetProperty("kind").GetString() == "segment").Select(c => c.GetProperty("text").GetString()!)];
        }
        return calls;
    }

    [Fact]
    public async Task Erasing_a_customer_over_http_shreds_their_unheld_calls_and_their_words_are_in_no_table_and_no_log()
    {
        await demo.CallsEndedAsync();
        var before = await CaptionsByCallAsync();
        var (erased, held) = (before.Keys.Order().First(), before.Keys.Order().Skip(1).First());
        // words said in the erased call and in no other
        var others = before.Where(c => c.Key != erased).SelectMany(c => c.Value).SelectMany(Words).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var words = before[erased].SelectMany(Words).Where(w => w.Length >= 5 && !others.Contains(w)).Distinct().ToArray();
        Assert.NotEmpty(words);
        using var admin = demo.Client(DemoHost.AdminKey);

        foreach (var call in new[] { erased, held })
        {
            (await admin.PostAsJsonAsync("/api/admin/customer-tags", new { call, customer = "CUST-77" })).EnsureSuccessStatusCode();
        }
        var hold = await (await admin.PostAsJsonAsync("/api/admin/holds", new { scope = "call", target = held, reason = "dispute 12" })).Content.ReadFromJsonAsync<JsonElement>();
        using var erasure = await admin.PostAsJsonAsync("/api/admin/erasures", new { customer = "CUST-77", reason = "GDPR art. 17", ticket = "DSR-1" });
        var result = await erasure.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, erasure.StatusCode);
        Assert.Equal([erased], result.GetProperty("erased").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(held, Assert.Single(result.GetProperty("heldBack").EnumerateArray()).GetProperty("call").GetString());
        Assert.Contains(hold.GetProperty("holdId").GetString(), result.GetProperty("heldBack")[0].GetProperty("holds").EnumerateArray().Select(h => h.GetString()));
        var after = await CaptionsByCallAsync();
        Assert.All(after[erased], t => Assert.Equal($"[erased {DateTime.UtcNow:yyyy-MM-dd}]", t));
        Assert.Equal(before[erased].Count, after[erased].Count);
        Assert.Equal(before[held], after[held]);

        await using (var vacuum = demo.Database.OwnerDataSource.CreateCommand("VACUUM data_keys"))
        {
            await vacuum.ExecuteNonQueryAsync();
        }
        Assert.Empty(await RetentionTests.TablesHoldingAsync(demo.Database.OwnerDataSource, [.. words, "CUST-77"]));
        Assert.DoesNotContain(demo.Logs.Lines, l => words.Any(w => l.Contains(w, StringComparison.OrdinalIgnoreCase)));
        Assert.True(await demo.Database.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'report_accessed' AND data->>'who' = 'test-compliance-admin'") >= 4);
        Assert.Equal("test-compliance-admin", await demo.Database.ScalarAsync<string>($"SELECT data->>'who' FROM events WHERE type = 'call_erased' AND stream_id = '{erased}'"));
    }

    [Fact]
    public async Task A_retention_policy_set_over_http_may_be_lengthened_but_a_shortening_under_recorded_calls_is_409()
    {
        await demo.CallsEndedAsync();
        using var admin = demo.Client(DemoHost.AdminKey);

        using var first = await admin.PutAsJsonAsync("/api/admin/retention", new { queue = "q-admin-test", days = 90 });
        using var longer = await admin.PutAsJsonAsync("/api/admin/retention", new { queue = "q-admin-test", days = 400 });
        using var bad = await admin.PutAsJsonAsync("/api/admin/retention", new { days = 0 });
        using var setDefault = await admin.PutAsJsonAsync("/api/admin/retention", new { days = 3650 });
        using var shorter = await admin.PutAsJsonAsync("/api/admin/retention", new { days = 30 });
        using var run = await admin.PostAsync("/api/admin/retention/run", null);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, longer.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.OK, setDefault.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, shorter.StatusCode);
        Assert.Contains("from 3650 to 30 days", await shorter.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        Assert.Empty((await run.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("expired").EnumerateArray());
    }

    private static IEnumerable<string> Words(string text) =>
        text.Split([' ', ',', '.', '?', '!', ';', ':', '"', '\''], StringSplitOptions.RemoveEmptyEntries).Where(w => w.All(char.IsLetter));
}
