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
        var data = new TheoryData<string> { "SET session_replication_role = replica", "INSERT INTO events SELECT * FROM events LIMIT 1" };
        foreach (var (table, column) in new[]
        {
            ("events", "writer"), ("streams", "version"), ("audit_log", "compliance_flag"), ("call_summaries", "segments"),
            ("metrics_windows", "segments"), ("metrics_daily", "segments"), ("progression", "last_seq"), ("chain_checkpoints", "key_id"),
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
