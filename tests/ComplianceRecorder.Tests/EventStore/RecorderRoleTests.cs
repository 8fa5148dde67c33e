using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Projections;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ComplianceRecorder.Tests.EventStore;

/// <summary>The recorder logs in as a role that can read and append through the store's functions, and nothing else.</summary>
public sealed class RecorderRoleTests(Database db) : IClassFixture<Database>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Refused()
    {
        var data = new TheoryData<string>
        {
            "SET session_replication_role = replica",
            "INSERT INTO events SELECT * FROM events LIMIT 1",
            "INSERT INTO audit_log SELECT * FROM audit_log LIMIT 1",
            "INSERT INTO call_summaries SELECT * FROM call_summaries LIMIT 1",
            "INSERT INTO metrics_windows SELECT * FROM metrics_windows LIMIT 1",
            "INSERT INTO metrics_daily SELECT * FROM metrics_daily LIMIT 1",
            "INSERT INTO progression (name, last_seq) VALUES ('forged', 0)",
            "INSERT INTO chain_checkpoints (stream_id, version, head_hash, key_id, signature) VALUES ('forged', 1, '', 'k', '')",
            "INSERT INTO chain_anchors (max_seq, events, digest, key_id, signature) VALUES (1, 0, '', 'k', '')",
            "UPDATE schema_functions SET sha256 = sha256",
            "INSERT INTO schema_migrations (version, name, sha256) VALUES (999, 'forged', '')",
            "SELECT setval('events_seq', 1)",
            "SELECT project_metrics(1, '{}'::jsonb)",
            "CREATE TABLE forged (x integer)",
            "CREATE FUNCTION sha256(bytea) RETURNS bytea LANGUAGE sql AS 'SELECT $1'",
        };
        foreach (var (table, column) in new[]
        {
            ("events", "writer"), ("streams", "version"), ("audit_log", "compliance_flag"), ("call_summaries", "segments"),
            ("metrics_windows", "segments"), ("metrics_daily", "segments"), ("progression", "last_seq"), ("chain_checkpoints", "key_id"),
            ("chain_anchors", "key_id"),
        })
        {
            data.Add($"UPDATE {table} SET {column} = {column}");
            data.Add($"DELETE FROM {table}");
            data.Add($"TRUNCATE {table}");
            data.Add($"ALTER TABLE {table} ADD COLUMN forged integer");
            data.Add($"ALTER TABLE {table} DISABLE TRIGGER ALL");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task The_recorders_role_is_refused(string sql)
    {
        await db.Store().AppendAsync([new PendingEvent(EventStoreTests.Segment("role-" + Guid.NewGuid(), "u1", 1, true))]);

        var e = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var cmd = db.DataSource.CreateCommand(sql);
            await cmd.ExecuteNonQueryAsync();
        });

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
        // refused by a privilege, not by a trigger the owner can disable (whose message says "append-only")
        Assert.True(e.MessageText.StartsWith("permission denied", StringComparison.Ordinal) || e.MessageText.StartsWith("must be owner", StringComparison.Ordinal), e.MessageText);
    }

    [Fact]
    public async Task Every_function_the_recorders_role_may_call_runs_as_its_owner_with_a_fixed_search_path()
    {
        // a later migration's CREATE OR REPLACE drops both attributes unless it states them again
        var loose = await db.ScalarAsync<string>("""
            SELECT coalesce(string_agg(p.oid::regprocedure::text, ', '), '') FROM pg_proc p
             WHERE p.pronamespace = current_schema()::regnamespace
               AND has_function_privilege('compliance_recorder', p.oid, 'EXECUTE')
               AND NOT (p.prosecdef AND EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%'))
            """);

        Assert.Equal("", loose);
    }

    [Fact]
    public async Task The_store_refuses_a_checkpoint_whose_head_is_not_the_stored_hash()
    {
        var call = "role-" + Guid.NewGuid();
        await db.Store().AppendAsync([new PendingEvent(EventStoreTests.Segment(call, "u1", 1, true))]);

        var e = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var cmd = db.DataSource.CreateCommand($"SELECT sign_checkpoint('{call}', 1, '\\x00'::bytea, 'k', '\\x00'::bytea, NULL, NULL)");
            await cmd.ExecuteNonQueryAsync();
        });

        Assert.Equal("P0410", e.SqlState);
    }

    /// <summary>A call's start, a segment and a metrics window, appended and projected as the recorder does.</summary>
    internal static async Task RecordAndProjectAsync(Database db, string call)
    {
        await db.Store().AppendAsync([
            new PendingEvent(new CallStarted(call, "notifications", T0)),
            new PendingEvent(EventStoreTests.Segment(call, "u1", 1, true)),
            new PendingEvent(new MetricsWindowClosed(call, T0, T0.AddSeconds(10), 1, 4, 0, 9, 12, 15, 1)),
        ]);
        var daemon = new ProjectionDaemon(db.DataSource, TimeProvider.System, NullLogger.Instance);
        while (await daemon.StepAsync() > 0)
        {
        }
    }

    [Fact]
    public async Task The_recorders_role_appends_projects_and_signs_through_the_stores_functions()
    {
        Assert.Equal("compliance_recorder", await db.ScalarAsync<string>("SELECT current_user::text"));
        Assert.False(await db.ScalarAsync<bool>("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
        var call = "role-" + Guid.NewGuid();

        await RecordAndProjectAsync(db, call);
        await ChainCheckpoints.SignAsync(db.DataSource, CheckpointKey.FromSecret(new byte[32]), db.Heads);

        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM audit_log WHERE conversation_id = '{call}'"));
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM metrics_windows WHERE scope = '{call}'"));
        Assert.Equal(2, await db.ScalarAsync<int>($"SELECT max(version) FROM chain_checkpoints WHERE stream_id = '{call}'"));
        Assert.True((await ChainVerifier.VerifyAsync(db.DataSource)).Ok);
    }
}

/// <summary>verify replays the events and compares each projection row with what the replay gives.</summary>
public sealed class ProjectionVerifyTests(Database db) : IClassFixture<Database>
{
    [Theory]
    [InlineData("audit_log", "UPDATE audit_log SET compliance_flag = 'CLEAN' WHERE conversation_id = '{0}'")]
    [InlineData("audit_log", "DELETE FROM audit_log WHERE conversation_id = '{0}'")]
    [InlineData("call_summaries", "UPDATE call_summaries SET redactions = 0 WHERE conversation_id = '{0}'")]
    [InlineData("metrics_windows", "UPDATE metrics_windows SET p99_ms = 1 WHERE scope = '{0}'")]
    public async Task An_edited_projection_row_makes_verify_fail_naming_it(string table, string edit)
    {
        var call = "proj-" + Guid.NewGuid();
        await RecorderRoleTests.RecordAndProjectAsync(db, call);
        Assert.True((await ChainVerifier.VerifyAsync(db.DataSource)).Ok);

        await using (var cmd = db.OwnerDataSource.CreateCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, edit, call)))
        {
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }
        try
        {
            var report = await ChainVerifier.VerifyAsync(db.DataSource);

            Assert.False(report.Ok);
            Assert.Empty(report.Broken);
            var mismatch = Assert.Single(report.Projections);
            Assert.Equal(table, mismatch.Table);
        }
        finally
        {
            // the owner's rebuild puts it right for the next case
            await Rebuilder.RebuildAsync(db.OwnerDataSource, table == "metrics_windows" ? "metrics" : "audit");
        }
    }
}
