using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Tests.Infrastructure;

namespace ComplianceRecorder.Tests.EventStore;

public sealed class ChainCheckpointTests(Database db) : IClassFixture<Database>
{
    private static readonly CheckpointKey Key = CheckpointKey.FromSecret([.. Enumerable.Range(0, 32).Select(i => (byte)i)]);
    private static readonly CheckpointKey Retired = CheckpointKey.FromSecret([.. Enumerable.Range(100, 32).Select(i => (byte)i)]);
    private static readonly CheckpointKeys Keys = new(Key);

    private async Task<string> CallAsync(int events)
    {
        var call = "cp-" + Guid.NewGuid();
        await AppendAsync(call, 1, events);
        return call;
    }

    private Task AppendAsync(string call, int from, int count) => db.Store("t").AppendAsync(
        [.. Enumerable.Range(from, count).Select(i => new PendingEvent(EventStoreTests.Segment(call, $"u{i}", 1, true)))]);

    /// <summary>What someone with the owner's (or a superuser's) connection can do behind the triggers.</summary>
    private async Task AsOwnerBehindTheTriggersAsync(string sql)
    {
        await using var cmd = db.OwnerDataSource.CreateCommand($"""
            SET session_replication_role = replica;
            {sql};
            SET session_replication_role = origin;
            """);
        await cmd.ExecuteNonQueryAsync();
    }

    private Task RewriteLastEventAsync(string call, int version) => AsOwnerBehindTheTriggersAsync($"""
        UPDATE events SET data = jsonb_set(data, '{"{text}"}', '"rewritten"') WHERE stream_id = '{call}' AND version = {version};
        UPDATE events SET hash = sha256(prev_hash || event_canonical(stream_id, version, type, schema_version, data, metadata))
         WHERE stream_id = '{call}' AND version = {version};
        UPDATE streams s SET head_hash = e.hash FROM events e WHERE s.id = '{call}' AND e.stream_id = s.id AND e.version = s.version
        """);

    [Fact]
    public async Task A_chain_rewritten_with_recomputed_hashes_still_fails_at_its_signed_checkpoint()
    {
        var call = await CallAsync(3);
        Assert.True((await ChainCheckpoints.SignAsync(db.DataSource, Key, db.Heads)).Signed >= 1);
        Assert.DoesNotContain((await ChainVerifier.VerifyAsync(db.DataSource, Keys)).Broken, b => b.StreamId == call);

        await RewriteLastEventAsync(call, 3);

        var report = await ChainVerifier.VerifyAsync(db.DataSource, Keys);
        var broken = Assert.Single(report.Broken, b => b.StreamId == call);
        Assert.Equal(3, broken.Version);
        Assert.Contains("signed checkpoint", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verifying_one_call_checks_its_chain_and_checkpoints_and_no_other_calls()
    {
        var tampered = await CallAsync(3);
        var intact = await CallAsync(2);
        Assert.True((await ChainCheckpoints.SignAsync(db.DataSource, Key, db.Heads)).Signed >= 2);

        await RewriteLastEventAsync(tampered, 3);

        var bad = await ChainVerifier.VerifyStreamAsync(db.DataSource, tampered, Keys);
        var good = await ChainVerifier.VerifyStreamAsync(db.DataSource, intact, Keys);
        Assert.False(bad.Ok);
        Assert.All(bad.Broken, b => Assert.Equal(tampered, b.StreamId));
        Assert.Contains(bad.Broken, b => b.Version == 3 && b.Reason.Contains("signed checkpoint", StringComparison.Ordinal));
        Assert.True(good.Ok, string.Join("; ", good.Broken.Select(b => b.Reason)));
        Assert.Equal((1L, 2L), (good.Streams, good.Events));
        Assert.True(good.Checkpoints >= 1 && good.SignaturesChecked);
    }

    [Fact]
    public async Task A_rewritten_chain_whose_checkpoints_were_deleted_fails_once_its_events_are_older_than_the_signing_interval()
    {
        var call = await CallAsync(3);
        await ChainCheckpoints.SignAsync(db.DataSource, Key, db.Heads);

        await AsOwnerBehindTheTriggersAsync($"DELETE FROM chain_checkpoints WHERE stream_id = '{call}'");
        await RewriteLastEventAsync(call, 3);

        // verify as it runs an hour later: the recorder would have signed these events long before
        var report = await ChainVerifier.VerifyAsync(db.DataSource, Keys, unsignedBefore: DateTimeOffset.UtcNow.AddHours(1));
        var broken = Assert.Single(report.Broken, b => b.StreamId == call);
        Assert.Equal(1, broken.Version);
        Assert.Contains("no signed checkpoint covers", broken.Reason, StringComparison.Ordinal);
        Assert.False(report.Ok);
    }

    [Fact]
    public async Task Verifying_one_call_whose_checkpoints_were_deleted_fails_once_its_events_are_older_than_the_signing_interval()
    {
        var call = await CallAsync(3);
        await ChainCheckpoints.SignAsync(db.DataSource, Key, db.Heads);

        await AsOwnerBehindTheTriggersAsync($"DELETE FROM chain_checkpoints WHERE stream_id = '{call}'");
        await RewriteLastEventAsync(call, 3);

        var now = await ChainVerifier.VerifyStreamAsync(db.DataSource, call, Keys, unsignedBefore: DateTimeOffset.UtcNow.AddMinutes(-2));
        var later = await ChainVerifier.VerifyStreamAsync(db.DataSource, call, Keys, unsignedBefore: DateTimeOffset.UtcNow.AddHours(1));
        // within the interval the chain is intact but not signed past its start: not proven, which the page shows as such
        Assert.True(now.Ok, string.Join("; ", now.Broken.Select(b => b.Reason)));
        Assert.Equal((3, 0), (now.HeadVersion, now.SignedVersion));
        Assert.False(later.Ok);
        Assert.Contains(later.Broken, b => b.StreamId == call && b.Reason.Contains("no signed checkpoint covers", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verifying_one_call_whose_last_events_were_deleted_fails_against_its_head()
    {
        var call = await CallAsync(3);

        await AsOwnerBehindTheTriggersAsync($"DELETE FROM events WHERE stream_id = '{call}' AND version = 3");

        var report = await ChainVerifier.VerifyStreamAsync(db.DataSource, call, Keys);
        Assert.False(report.Ok);
        Assert.Contains(report.Broken, b => b.Version == 2 && b.Reason.Contains("head in streams is version 3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verifying_one_call_says_how_far_it_is_signed_when_events_follow_its_last_checkpoint()
    {
        var call = await CallAsync(3);
        await ChainCheckpoints.SignAsync(db.DataSource, Key, db.Heads);
        await AppendAsync(call, 4, 2);

        var report = await ChainVerifier.VerifyStreamAsync(db.DataSource, call, Keys, unsignedBefore: DateTimeOffset.UtcNow.AddMinutes(-2));

        Assert.True(report.Ok, string.Join("; ", report.Broken.Select(b => b.Reason)));
        Assert.Equal((5, 3), (report.HeadVersion, report.SignedVersion));
    }

    [Fact]
    public async Task A_rewritten_chain_whose_checkpoints_were_deleted_is_not_signed_by_a_running_recorder()
    {
        var call = await CallAsync(3);
        await ChainCheckpoints.SignAsync(db.DataSource, Key, db.Heads);

        await AsOwnerBehindTheTriggersAsync($"DELETE FROM chain_checkpoints WHERE stream_id = '{call}'");
        await RewriteLastEventAsync(call, 3);
        // the recorder's next signing pass, as it runs every interval
        await ChainCheckpoints.SignAsync(db.DataSource, Key, db.Heads);

        var report = await ChainVerifier.VerifyAsync(db.DataSource, Keys, unsignedBefore: DateTimeOffset.UtcNow.AddHours(1));
        Assert.Contains(report.Broken, b => b.StreamId == call);
        Assert.False(report.Ok);
    }

    [Fact]
    public async Task A_chain_rewritten_before_its_first_signing_is_refused_by_the_signer_and_reported_by_verify()
    {
        var call = await CallAsync(3);

        await RewriteLastEventAsync(call, 3);
        var pass = await ChainCheckpoints.SignAsync(db.DataSource, Key, db.Heads);

        Assert.Contains(call, pass.Refused);
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM chain_checkpoints WHERE stream_id = '{call}'"));
        var report = await ChainVerifier.VerifyAsync(db.DataSource, Keys, unsignedBefore: DateTimeOffset.UtcNow.AddHours(1));
        Assert.Contains(report.Broken, b => b.StreamId == call);
    }

    [Fact]
    public async Task A_call_deleted_whole_with_its_checkpoints_is_found_by_the_store_anchor()
    {
        var call = await CallAsync(3);
        var pass = await ChainCheckpoints.SignAsync(db.DataSource, Key, db.Heads);
        Assert.NotNull(pass.Anchor);
        Assert.DoesNotContain((await ChainVerifier.VerifyAsync(db.DataSource, Keys)).Broken, b => b.StreamId == "(store anchor)");

        await AsOwnerBehindTheTriggersAsync($"""
            DELETE FROM audit_log WHERE conversation_id = '{call}';
            DELETE FROM call_summaries WHERE conversation_id = '{call}';
            DELETE FROM chain_checkpoints WHERE stream_id = '{call}';
            DELETE FROM events WHERE stream_id = '{call}';
            DELETE FROM streams WHERE id = '{call}'
            """);

        var report = await ChainVerifier.VerifyAsync(db.DataSource, Keys, unsignedBefore: DateTimeOffset.UtcNow.AddHours(1));
        var broken = Assert.Single(report.Broken, b => b.StreamId == "(store anchor)" && b.Seq == pass.Anchor.MaxSeq);
        Assert.Contains("events were deleted", broken.Reason, StringComparison.Ordinal);
        Assert.False(report.Ok);
    }

    [Fact]
    public async Task A_deleted_checkpoint_between_two_others_is_found()
    {
        var call = await CallAsync(1);
        await ChainCheckpoints.SignAsync(db.DataSource, Key, db.Heads);
        await AppendAsync(call, 2, 1);
        await ChainCheckpoints.SignAsync(db.DataSource, Key, db.Heads);
        await AppendAsync(call, 3, 1);
        await ChainCheckpoints.SignAsync(db.DataSource, Key, db.Heads);
        Assert.DoesNotContain((await ChainVerifier.VerifyAsync(db.DataSource, Keys)).Broken, b => b.StreamId == call);

        await AsOwnerBehindTheTriggersAsync($"DELETE FROM chain_checkpoints WHERE stream_id = '{call}' AND version = 2");

        var broken = Assert.Single((await ChainVerifier.VerifyAsync(db.DataSource, Keys)).Broken, b => b.StreamId == call);
        Assert.Equal(3, broken.Version);
        Assert.Contains("checkpoint before this one is missing", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checkpoint_signed_with_a_key_id_outside_the_key_set_is_refused()
    {
        var call = await CallAsync(1);
        await ChainCheckpoints.SignAsync(db.DataSource, CheckpointKey.FromSecret(new byte[32]), db.Heads);

        var broken = Assert.Single((await ChainVerifier.VerifyAsync(db.DataSource, Keys)).Broken, b => b.StreamId == call);
        Assert.Contains("not in the configured key set", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checkpoint_signed_with_another_key_under_the_same_id_does_not_verify()
    {
        var call = await CallAsync(1);
        await ChainCheckpoints.SignAsync(db.DataSource, new CheckpointKey(Key.Id, new byte[32]), db.Heads);

        var report = await ChainVerifier.VerifyAsync(db.DataSource, Keys);

        Assert.Contains(report.Broken, b => b.StreamId == call && b.Reason.Contains("signature does not verify", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Checkpoints_signed_with_a_retired_key_verify_while_it_is_configured_as_retired()
    {
        var call = await CallAsync(1);
        await ChainCheckpoints.SignAsync(db.DataSource, Retired, db.Heads);
        await AppendAsync(call, 2, 1);
        await ChainCheckpoints.SignAsync(db.DataSource, Key, db.Heads);

        var rotated = await ChainVerifier.VerifyAsync(db.DataSource, new CheckpointKeys(Key, Retired));
        var forgotten = await ChainVerifier.VerifyAsync(db.DataSource, Keys);

        Assert.DoesNotContain(rotated.Broken, b => b.StreamId == call);
        Assert.True(rotated.SignaturesChecked);
        var broken = Assert.Single(forgotten.Broken, b => b.StreamId == call);
        Assert.Equal(1, broken.Version);
        Assert.Contains(Retired.Id, broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_keys_verify_reports_that_it_checked_no_signature()
    {
        await CallAsync(1);
        await ChainCheckpoints.SignAsync(db.DataSource, CheckpointKey.FromSecret(new byte[32]), db.Heads);

        var report = await ChainVerifier.VerifyAsync(db.DataSource);

        Assert.False(report.SignaturesChecked);
        Assert.True(report.Checkpoints > 0);
    }
}
