using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Encryption;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.EventStore.Retention;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.ReadSide;
using ComplianceRecorder.Tests.EventStore;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace ComplianceRecorder.Tests.Retention;

/// <summary>Encryption at rest, retention, legal holds and erasure on a real store, in virtual time.</summary>
public sealed class RetentionTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2031, 3, 15, 9, 0, 0, TimeSpan.Zero);
    private readonly Database _db = new();
    private readonly FakeTimeProvider _time = new(Now);

    public Task InitializeAsync() => _db.InitializeAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    private global::ComplianceRecorder.EventStore.Appending.EventStore Store => _db.SealingStore("retention-test");

    /// <summary>A call started <paramref name="ageDays"/> days before now, in <paramref name="queue"/> when given, saying <paramref name="words"/>.</summary>
    private async Task<string> CallAsync(double ageDays, string words, string? queue = null)
    {
        var call = "call-" + Guid.NewGuid().ToString("N")[..10];
        var at = Now.AddDays(-ageDays);
        if (queue is null)
        {
            await Store.AppendAsync([new PendingEvent(new CallStarted(call, "notifications", at))]);
        }
        else
        {
            await StartedInQueueAsync(_db, call, at, queue);
        }
        await Store.AppendAsync([
            new PendingEvent(EventStoreTests.Segment(call, "u1", 1, false, words, 0)),
            new PendingEvent(EventStoreTests.Segment(call, "u1", 2, true, words, 0)),
            new PendingEvent(new CallEnded(call, "hung up", at.AddMinutes(3))),
        ]);
        return call;
    }

    /// <summary>call_started as a recorder that knows the call's queue writes it (#16 reads queueId when present).</summary>
    internal static async Task StartedInQueueAsync(Database db, string call, DateTimeOffset at, string queue)
    {
        await using var cmd = db.DataSource.CreateCommand("SELECT count(*) FROM append_events(ARRAY[$1], ARRAY[NULL::integer], ARRAY['call_started'], ARRAY[1], ARRAY[$2::jsonb], ARRAY['{}'::jsonb], ARRAY['call_started'], 'retention-test')");
        cmd.Parameters.AddWithValue(call);
        cmd.Parameters.AddWithValue($$"""{"conversationId":"{{call}}","dialect":"notifications","at":"{{at:O}}","queueId":"{{queue}}"}""");
        await cmd.ExecuteScalarAsync();
    }

    private async Task<List<string>> CaptionsAsync(string call)
    {
        var texts = new List<string>();
        await foreach (var c in CaptionHistory.MissedAsync(_db.DataSource, _db.Text, 0, call, CancellationToken.None))
        {
            texts.Add(c.Text);
        }
        return texts;
    }

    private async Task<string> VttAsync(string call)
    {
        var w = new StringWriter();
        await WebVtt.WriteAsync(_db.DataSource, _db.Text, call, w, CancellationToken.None);
        return w.ToString();
    }

    [Fact]
    public async Task A_late_final_committed_in_the_same_batch_as_its_calls_end_is_sealed_not_erased()
    {
        var call = "late-" + Guid.NewGuid().ToString("N")[..10];

        await Store.AppendAsync([
            new PendingEvent(new CallStarted(call, "notifications", Now)),
            new PendingEvent(EventStoreTests.Segment(call, "u1", 1, true, "before the end", 0)),
            new PendingEvent(new CallEnded(call, "hung up", Now.AddMinutes(1))),
            new PendingEvent(EventStoreTests.Segment(call, "u2", 1, true, "heard after the end", 0)),
        ]);

        Assert.Equal(["before the end", "heard after the end"], await CaptionsAsync(call));
    }

    [Fact]
    public async Task Transcript_text_is_stored_sealed_and_every_reader_opens_it()
    {
        var call = await CallAsync(1, "the parcel goes to Quillfeather lane");

        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM events WHERE data::text LIKE '%Quillfeather%'"));
        Assert.Equal(2L, await _db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id = '{call}' AND data->>'text' LIKE 'enc1::%'"));
        Assert.Equal(["the parcel goes to Quillfeather lane"], await CaptionsAsync(call));
        Assert.Contains("Quillfeather", await VttAsync(call), StringComparison.Ordinal);
        var finals = await new global::ComplianceRecorder.Recording.RecordedFinals(_db.DataSource, _db.Text).FinalsAsync(call, CancellationToken.None);
        Assert.Equal("the parcel goes to Quillfeather lane", Assert.Single(finals).Text);
    }

    [Fact]
    public async Task Sealed_text_copied_into_another_calls_event_does_not_open_there()
    {
        var call = await CallAsync(1, "bound to its own call");
        var stored = await _db.ScalarAsync<string>($"SELECT data->>'text' FROM events WHERE stream_id = '{call}' AND (data->>'isFinal')::boolean");
        var key = await _db.ScalarAsync<string>($"SELECT source_key FROM events WHERE stream_id = '{call}' AND (data->>'isFinal')::boolean");

        using var reading = _db.Text.Begin();
        Assert.Equal("bound to its own call", await reading.OpenAsync(stored, call, SegmentRecorded.TypeName, key));
        Assert.StartsWith("[unreadable", await reading.OpenAsync(stored, "another-call", SegmentRecorded.TypeName, key), StringComparison.Ordinal);
        Assert.StartsWith("[unreadable", await reading.OpenAsync(stored, call, SegmentRecorded.TypeName, key + "x"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retention_run_in_virtual_time_shreds_exactly_the_expired_unheld_calls_and_verify_and_rebuild_agree()
    {
        await RetentionPolicies.SetAsync(Store, null, 30, "test", _time.GetUtcNow());
        await RetentionPolicies.SetAsync(Store, "q-long", 365, "test", _time.GetUtcNow());
        var young = await CallAsync(10, "young default call");
        var oldDefault = await CallAsync(40, "old default call");
        var youngLong = await CallAsync(40, "young long-queue call", "q-long");
        var oldLong = await CallAsync(400, "old long-queue call", "q-long");
        var heldOld = await CallAsync(100, "held old call");
        var otherQueue = await CallAsync(31, "queue without a policy", "q-other");
        var agentHeld = await CallAsync(90, "held by its agent's queue", "q-held");
        await LegalHolds.PlaceAsync(Store, "call", heldOld, "litigation 2031-7", "legal@example", _time.GetUtcNow());
        await LegalHolds.PlaceAsync(Store, "queue", "q-held", "regulator inquiry", "legal@example", _time.GetUtcNow());
        var auditRows = await _db.ScalarAsync<long>("SELECT count(*) FROM audit_log");

        _time.Advance(TimeSpan.FromDays(1));
        var result = await RetentionRun.ApplyAsync(Store, _time.GetUtcNow());

        Assert.Equal(new[] { oldLong, oldDefault, otherQueue }.Order(), result.Expired.Order());
        Assert.Equal(new[] { heldOld, agentHeld }.Order(), result.HeldBack.Order());
        Assert.Equal(1, result.UnderDefaultForUnknownQueue);
        var expiredText = $"[expired {_time.GetUtcNow():yyyy-MM-dd}]";
        foreach (var call in result.Expired)
        {
            Assert.Equal([expiredText], await CaptionsAsync(call));
            Assert.Contains(expiredText, await VttAsync(call), StringComparison.Ordinal);
        }
        Assert.Equal(["young default call"], await CaptionsAsync(young));
        Assert.Equal(["young long-queue call"], await CaptionsAsync(youngLong));
        Assert.Equal(["held old call"], await CaptionsAsync(heldOld));
        Assert.Equal(["held by its agent's queue"], await CaptionsAsync(agentHeld));
        Assert.Equal(3L, await _db.ScalarAsync<long>("SELECT count(*) FROM data_keys WHERE wrapped IS NULL AND destroyed_by = 'call_expired'"));
        Assert.Equal("default", await _db.ScalarAsync<string>($"SELECT data->>'policy' FROM events WHERE type = 'call_expired' AND stream_id = '{oldDefault}'"));

        // the chain covers the sealed bytes: nothing to re-check once the keys are gone
        Assert.True((await ChainVerifier.VerifyAsync(_db.DataSource)).Ok);
        await Rebuilder.RebuildAsync(_db.OwnerDataSource, "audit");
        Assert.Equal(auditRows, await _db.ScalarAsync<long>("SELECT count(*) FROM audit_log"));
        Assert.True((await ChainVerifier.VerifyAsync(_db.DataSource)).Ok);
        foreach (var call in result.Expired)
        {
            Assert.Equal([expiredText], await CaptionsAsync(call));
        }

        // the calls export says which calls' text is gone, and since when
        var export = new StringWriter();
        await Report.WriteAsync(_db.DataSource, new ReportRequest("calls", null, null, null, null), ReportFormat.Csv, export, CancellationToken.None);
        var rows = export.ToString().Split('\n');
        Assert.All(result.Expired, call => Assert.EndsWith(expiredText, Assert.Single(rows, r => r.StartsWith(call, StringComparison.Ordinal)).TrimEnd('\r'), StringComparison.Ordinal));
        Assert.EndsWith(",kept", Assert.Single(rows, r => r.StartsWith(young, StringComparison.Ordinal)).TrimEnd('\r'), StringComparison.Ordinal);

        // a second pass finds nothing more to do
        Assert.Empty((await RetentionRun.ApplyAsync(Store, _time.GetUtcNow())).Expired);
    }

    [Fact]
    public async Task A_policy_may_be_lengthened_but_not_shortened_under_calls_it_keeps()
    {
        await RetentionPolicies.SetAsync(Store, null, 90, "test", Now);
        await CallAsync(5, "kept for ninety days");

        await RetentionPolicies.SetAsync(Store, null, 365, "test", Now);
        var refused = await Assert.ThrowsAsync<RetentionShorteningRefusedException>(() => RetentionPolicies.SetAsync(Store, null, 30, "test", Now));

        Assert.Contains("from 365 to 30 days", refused.Message, StringComparison.Ordinal);
        Assert.Equal(365, Assert.Single(await RetentionPolicies.ListAsync(_db.DataSource)).Days);
        // a queue with no calls of its own may start shorter than the default
        await RetentionPolicies.SetAsync(Store, "q-new", 7, "test", Now);
    }

    [Fact]
    public async Task Erasure_by_customer_identifier_erases_each_tagged_call_but_the_held_one_and_leaves_the_words_nowhere()
    {
        var first = await CallAsync(3, "my name is Zorbulon Fenwick");
        var second = await CallAsync(2, "Zorbulon again about the Fenwick account");
        var held = await CallAsync(1, "held words Marrowgate");
        var other = await CallAsync(1, "another customer entirely");
        foreach (var call in new[] { first, second, held })
        {
            await Erasure.TagAsync(Store, call, "CUST-0042", "agent-desk", Now);
        }
        await LegalHolds.PlaceAsync(Store, "call", held, "dispute", "legal@example", Now);

        var result = await Erasure.EraseAsync(Store, new ErasureRequest(null, "CUST-0042", "GDPR art. 17 request", "TICKET-9", "dpo@example"), _time.GetUtcNow());

        Assert.Equal(new[] { first, second }.Order(), result.Erased.Order());
        Assert.Equal(held, Assert.Single(result.HeldBack).Call);
        Assert.Equal([$"[erased {Now:yyyy-MM-dd}]"], await CaptionsAsync(first));
        Assert.Equal(["held words Marrowgate"], await CaptionsAsync(held));
        Assert.Equal(["another customer entirely"], await CaptionsAsync(other));
        Assert.Equal(1L, await _db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'erasure_requested' AND data->>'ticket' = 'TICKET-9'"));
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM events WHERE data::text LIKE '%CUST-0042%'"));

        await using (var vacuum = _db.OwnerDataSource.CreateCommand("VACUUM data_keys"))
        {
            await vacuum.ExecuteNonQueryAsync();
        }
        Assert.Empty(await TablesHoldingAsync(_db.OwnerDataSource, ["Zorbulon", "Fenwick", "CUST-0042"]));
        // and the held call's words are not in the clear either
        Assert.Empty(await TablesHoldingAsync(_db.OwnerDataSource, ["Marrowgate"]));
    }

    /// <summary>Every table of the database (the catalogs' own aside) whose rows, as text, hold any of the words.</summary>
    internal static async Task<List<string>> TablesHoldingAsync(NpgsqlDataSource owner, string[] words)
    {
        var tables = new List<string>();
        await using (var list = owner.CreateCommand("SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"))
        await using (var r = await list.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                tables.Add(r.GetString(0));
            }
        }
        var holding = new List<string>();
        foreach (var table in tables)
        {
            foreach (var word in words)
            {
                await using var cmd = owner.CreateCommand($"SELECT count(*) FROM {table} t WHERE t::text ILIKE '%' || $1 || '%'");
                cmd.Parameters.AddWithValue(word);
                if ((long)(await cmd.ExecuteScalarAsync())! > 0)
                {
                    holding.Add($"{table}: {word}");
                }
            }
        }
        return holding;
    }

    [Fact]
    public async Task Text_stored_before_sealing_began_reads_as_erased_once_its_call_is_erased()
    {
        var call = "call-" + Guid.NewGuid().ToString("N")[..10];
        // a store upgraded with history: its text was stored before sealing began, and the record cannot shed it
        await _db.Store().AppendAsync([
            new PendingEvent(new CallStarted(call, "notifications", Now.AddDays(-1))),
            new PendingEvent(EventStoreTests.Segment(call, "u1", 1, true, "said before sealing by Ottersby", 0))]);
        Assert.Equal(["said before sealing by Ottersby"], await CaptionsAsync(call));

        await Erasure.EraseAsync(Store, new ErasureRequest(call, null, "art. 17", "DSR-1", "dpo@example"), _time.GetUtcNow());

        Assert.Equal([$"[erased {Now:yyyy-MM-dd}]"], await CaptionsAsync(call));
        Assert.DoesNotContain("Ottersby", await VttAsync(call), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_database_keeps_a_held_calls_key_and_refuses_the_order_so_an_erasure_that_raced_a_hold_reports_it_held()
    {
        var call = await CallAsync(1, "kept for the court");
        await LegalHolds.PlaceAsync(Store, "call", call, "litigation", "legal@example", _time.GetUtcNow());

        // as an erasure that read the holds before this one was placed would append its order
        var refused = await Assert.ThrowsAsync<PostgresException>(() =>
            Store.AppendAsync([new PendingEvent(new CallErased(call, call, "erasure-race", "dpo@example", "art. 17", "DSR-2", _time.GetUtcNow()))], [call]));
        Assert.Equal("P0423", refused.SqlState);
        var nowHeld = new List<string>();
        var erased = await Erasure.ShredAsync(Store, [call], c => c,
            c => new CallErased(c, c, "erasure-race", "dpo@example", "art. 17", "DSR-2", _time.GetUtcNow()), (c, _) => nowHeld.Add(c), CancellationToken.None);

        Assert.Empty(erased);
        Assert.Equal([call], nowHeld);
        Assert.Equal(0L, await _db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id = '{call}' AND type = 'call_erased'"));
        Assert.Equal(["kept for the court"], (await CaptionsAsync(call)).Distinct());
    }

    [Fact]
    public async Task An_order_in_one_call_naming_another_calls_key_destroys_nothing()
    {
        var (one, other) = (await CallAsync(1, "first call"), await CallAsync(1, "second call"));

        await Store.AppendAsync([new PendingEvent(new CallErased(one, other, "erasure-x", "dpo@example", "art. 17", "DSR-3", _time.GetUtcNow()))], [other]);

        Assert.Equal(0L, await _db.ScalarAsync<long>($"SELECT count(*) FROM data_keys WHERE key_id = '{other}' AND wrapped IS NULL"));
        Assert.Equal(["second call"], (await CaptionsAsync(other)).Distinct());
    }

    [Fact]
    public async Task Rotating_the_master_key_rewraps_every_live_data_key_and_leaves_the_events_as_they_were()
    {
        var call = await CallAsync(1, "rotate around this");
        var hashes = await _db.ScalarAsync<string>("SELECT string_agg(encode(hash, 'hex'), ',' ORDER BY seq) FROM events");
        var nextKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var next = new LocalMasterKeys(nextKey, [_db.MasterKey]);

        // the recorder's login may not: it could overwrite a live key with bytes that open nothing, a shred with no event
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => DataKeys.RewrapAsync(_db.DataSource, next));
        Assert.Equal("42501", refused.SqlState);
        var rewrapped = await DataKeys.RewrapAsync(_db.OwnerDataSource, next);

        Assert.Equal(1, rewrapped);
        Assert.Equal(hashes, await _db.ScalarAsync<string>("SELECT string_agg(encode(hash, 'hex'), ',' ORDER BY seq) FROM events"));
        Assert.Equal(next.CurrentKeyId, await _db.ScalarAsync<string>($"SELECT master_key_id FROM data_keys WHERE key_id = '{call}'"));
        // the new master alone now opens it
        using var reading = new StoredText(_db.DataSource, new LocalMasterKeys(nextKey)).Begin();
        var stored = await _db.ScalarAsync<string>($"SELECT data->>'text' FROM events WHERE stream_id = '{call}' AND (data->>'isFinal')::boolean");
        var key = await _db.ScalarAsync<string>($"SELECT source_key FROM events WHERE stream_id = '{call}' AND (data->>'isFinal')::boolean");
        Assert.Equal("rotate around this", await reading.OpenAsync(stored, call, SegmentRecorded.TypeName, key));
    }
}
