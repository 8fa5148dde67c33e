using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Pipeline.Events;
using ComplianceRecorder.Tests.EventStore;
using ComplianceRecorder.Tests.Infrastructure;
using Npgsql;

namespace ComplianceRecorder.Tests.Instances;

/// <summary>Membership, call leases and fencing as the store keeps them (#15), through the recorder's own login.</summary>
public sealed class CallLeaseTests(Database db) : IClassFixture<Database>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private sealed record Claim(string Call, bool Mine, bool Covered, bool FoundFirst, string? Owner, string? Standby, DateTime? GapFrom, DateTime? GapTo);

    [Fact]
    public async Task In_partitioned_mode_each_call_has_one_follower_and_calls_spread_over_the_instances()
    {
        var names = await JoinAsync("partitioned", 3);
        var calls = Calls(30);

        var claims = await ClaimAsync(names[0], calls);

        Assert.Equal(30, claims.Count);
        Assert.All(claims, c => Assert.Null(c.Standby));
        Assert.All(claims, c => Assert.Contains(c.Owner, names.Select(n => n.Name)));
        // rendezvous hashing: every instance gets some
        Assert.Equal(3, claims.Select(c => c.Owner).Distinct().Count());
        // another instance asking about the same calls is told the same holders, and made none of them
        var again = await ClaimAsync(names[1], calls);
        Assert.Equal(claims.Select(c => c.Owner), again.Select(c => c.Owner));
        Assert.All(again, c => Assert.False(c.FoundFirst));
        Assert.All(claims, c => Assert.True(c.FoundFirst));
    }

    [Fact]
    public async Task In_active_active_mode_each_call_has_an_owner_and_a_standby_on_two_instances()
    {
        var names = await JoinAsync("active-active", 3);

        var claims = await ClaimAsync(names[2], Calls(20));

        Assert.All(claims, c =>
        {
            Assert.NotNull(c.Owner);
            Assert.NotNull(c.Standby);
            Assert.NotEqual(c.Owner, c.Standby);
        });
        Assert.Equal(claims.Count(c => c.Owner == names[2].Name || c.Standby == names[2].Name), claims.Count(c => c.Mine));
    }

    [Theory]
    [InlineData("partitioned", true)]
    [InlineData("active-active", false)]
    public async Task A_lapsed_instances_calls_go_to_live_ones_with_a_gap_only_when_it_was_their_one_follower(string mode, bool gap)
    {
        var names = await JoinAsync(mode, 3);
        var calls = Calls(30);
        var before = await ClaimAsync(names[1], calls);
        var held = before.Where(c => c.Owner == names[0].Name || c.Standby == names[0].Name).Select(c => c.Call).ToHashSet();
        Assert.NotEmpty(held);
        await LeaseRunsOutAsync(names[0]);

        // the periodic pass of each live instance: what the lapsed one held, each taker is told
        var taken = (await ClaimAsync(names[1], null)).Concat(await ClaimAsync(names[2], null)).Where(c => c.Mine && held.Contains(c.Call)).ToList();

        Assert.NotNull(await db.ScalarAsync<DateTime?>($"SELECT lapsed_at FROM recorder_instances WHERE name = '{names[0].Name}'"));
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM call_leases WHERE '{names[0].Name}' IN (owner, coalesce(standby, ''))"));
        Assert.Equal(held.Count, await db.ScalarAsync<long>($"SELECT count(*) FROM call_leases WHERE conversation_id IN ({string.Join(",", held.Select(h => $"'{h}'"))}) AND owner IS NOT NULL {(mode == "active-active" ? "AND standby IS NOT NULL" : "")}"));
        Assert.Equal(held.Order(), taken.Select(t => t.Call).Distinct().Order());
        // the time nobody followed the call goes to one holder, once, from the lapsed one's last write until the taker follows it
        Assert.Equal(gap ? held.Order() : [], taken.Where(t => t.GapFrom is not null).Select(t => t.Call).Order());
        Assert.All(taken, t => Assert.Null(t.GapTo));
        Assert.DoesNotContain((await ClaimAsync(names[1], null)).Concat(await ClaimAsync(names[2], null)), c => c.GapFrom is not null);
    }

    [Fact]
    public async Task A_leaving_instance_still_covers_its_calls_while_another_takes_them()
    {
        var names = await JoinAsync("partitioned", 2);
        var calls = Calls(20);
        var mine = (await ClaimAsync(names[0], calls)).Where(c => c.Mine).Select(c => c.Call).ToHashSet();
        Assert.NotEmpty(mine);

        Assert.Equal(names[0].Generation, await HeartbeatAsync(names[0], "leaving"));
        var taken = (await ClaimAsync(names[1], null)).Where(c => mine.Contains(c.Call)).ToList();

        Assert.Equal(mine.Order(), taken.Select(t => t.Call).Order());
        // it still followed them: no gap
        Assert.All(taken, t => Assert.True(t.Mine && t.Covered && t.GapFrom is null, $"{t.Call}: mine {t.Mine}, covered {t.Covered}, gap from {t.GapFrom}"));
        // having left, it is fenced: nothing more of it is written
        Assert.Equal(names[0].Generation, await HeartbeatAsync(names[0], "left"));
        var e = await Assert.ThrowsAsync<PostgresException>(() => Store(names[0]).AppendAsync([new PendingEvent(EventStoreTests.Segment(mine.First(), "late", 1, true))]));
        Assert.Equal("P0411", e.SqlState);
    }

    [Fact]
    public async Task A_call_no_instance_has_room_for_has_no_holder_and_only_its_finder_is_told_it_found_it()
    {
        var names = await JoinAsync("partitioned", 2, capacity: 0);
        var call = Calls(1);

        var first = Assert.Single(await ClaimAsync(names[0], call));
        var second = Assert.Single(await ClaimAsync(names[1], call));

        Assert.Null(first.Owner);
        Assert.True(first.FoundFirst && !first.Mine);
        Assert.False(second.FoundFirst);
    }

    [Fact]
    public async Task A_call_whose_end_is_recorded_lets_its_holders_go()
    {
        var names = await JoinAsync("partitioned", 1);
        var call = Calls(1);
        Assert.True(Assert.Single(await ClaimAsync(names[0], call)).Mine);

        await Store(names[0]).AppendAsync([new PendingEvent(new CallStarted(call[0], "notifications", T0)), new PendingEvent(new CallEnded(call[0], "done", T0.AddMinutes(1)))]);
        await ClaimAsync(names[0], null);

        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM call_leases WHERE conversation_id = '{call[0]}'"));
    }

    [Fact]
    public async Task An_instance_declared_lapsed_writes_nothing_more_even_with_appends_under_way()
    {
        var names = await JoinAsync("active-active", 2);
        var call = Calls(1)[0];
        var writer = Store(names[0]);
        await writer.AppendAsync([new PendingEvent(new CallStarted(call, "notifications", T0))]);

        // the cut-off instance keeps appending as fast as it can while the other declares it lapsed
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var under = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var appending = Task.Run(async () =>
        {
            for (var i = 0; ; i++)
            {
                try
                {
                    await writer.AppendAsync([new PendingEvent(EventStoreTests.Segment(call, $"u{i}", 1, true))], stop.Token);
                    under.TrySetResult();
                }
                catch (PostgresException e) when (e.SqlState == "P0411")
                {
                    return i;
                }
            }
        });
        await under.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await LeaseRunsOutAsync(names[0]);
        await ClaimAsync(names[1], null);
        var written = await appending;

        Assert.True(written > 0);
        Assert.Null(await HeartbeatAsync(names[0], "live"));
        // not one event of the lapsed writer committed after it was declared
        Assert.Equal(0L, await db.ScalarAsync<long>($"""
            SELECT count(*) FROM events e JOIN recorder_instances i ON i.name = e.writer
             WHERE e.writer = '{names[0].Name}' AND e.recorded_at >= i.lapsed_at
            """));
        Assert.Equal(written + 1L, await db.ScalarAsync<long>($"SELECT count(*) FROM events WHERE stream_id = '{call}'"));
    }

    [Fact]
    public async Task A_lease_that_ran_out_with_nobody_declaring_it_is_renewed_by_the_next_heartbeat()
    {
        var names = await JoinAsync("partitioned", 1);
        await LeaseRunsOutAsync(names[0]);

        Assert.Equal(names[0].Generation, await HeartbeatAsync(names[0], "live"));
        await Store(names[0]).AppendAsync([new PendingEvent(new CallStarted(Calls(1)[0], "notifications", T0))]);
    }

    [Fact]
    public async Task A_lone_instance_whose_lease_ran_out_finding_a_call_before_its_heartbeat_takes_it_and_is_not_fenced()
    {
        var names = await JoinAsync("partitioned", 1);
        var call = Calls(1)[0];
        await LeaseRunsOutAsync(names[0]);

        var claim = Assert.Single(await ClaimAsync(names[0], [call]));

        Assert.True(claim.Mine, $"owner {claim.Owner}");
        Assert.True(await db.ScalarAsync<bool>($"SELECT lapsed_at IS NULL FROM recorder_instances WHERE name = '{names[0].Name}'"));
        await Store(names[0]).AppendAsync([new PendingEvent(new CallStarted(call, "notifications", T0))]);
        Assert.Equal(names[0].Generation, await HeartbeatAsync(names[0], "live"));
    }

    private global::ComplianceRecorder.EventStore.Appending.EventStore Store((string Name, long Generation) instance) =>
        new(db.DataSource, instance.Name, lease: new WriterLease(instance.Name) { Generation = instance.Generation });

    private static string[] Calls(int n)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        return [.. Enumerable.Range(0, n).Select(i => $"lease-{run}-{i}")];
    }

    /// <summary>Instances of one test, named apart from every other test's (they share the database).</summary>
    private async Task<(string Name, long Generation)[]> JoinAsync(string mode, int count, int capacity = 1000)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var joined = new (string, long)[count];
        // earlier tests' instances still live would take calls: each test's instances are the only live ones
        await using (var old = db.OwnerDataSource.CreateCommand("UPDATE recorder_instances SET lapsed_at = clock_timestamp() WHERE lapsed_at IS NULL"))
        {
            await old.ExecuteNonQueryAsync();
        }
        for (var i = 0; i < count; i++)
        {
            var name = $"{run}-{i}";
            joined[i] = (name, (await HeartbeatAsync((name, 0), "live", mode, capacity, 600_000))!.Value);
        }
        return joined;
    }

    private async Task<long?> HeartbeatAsync((string Name, long Generation) instance, string state, string mode = "partitioned", int capacity = 1000, int leaseMs = 600_000)
    {
        await using var cmd = db.DataSource.CreateCommand("SELECT instance_heartbeat($1, $2, $3, $4, $5, $6)");
        cmd.Parameters.AddWithValue(instance.Name);
        cmd.Parameters.Add(new NpgsqlParameter { Value = instance.Generation == 0 ? DBNull.Value : instance.Generation, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        cmd.Parameters.AddWithValue(mode);
        cmd.Parameters.AddWithValue(capacity);
        cmd.Parameters.AddWithValue(leaseMs);
        cmd.Parameters.AddWithValue(state);
        return await cmd.ExecuteScalarAsync() is long g ? g : null;
    }

    private async Task<List<Claim>> ClaimAsync((string Name, long Generation) instance, string[]? calls)
    {
        await using var cmd = db.DataSource.CreateCommand("SELECT call_id, mine, covered, found_first, call_owner, call_standby, gap_from, gap_to FROM claim_calls($1, $2, $3) ORDER BY call_id");
        cmd.Parameters.AddWithValue(instance.Name);
        cmd.Parameters.AddWithValue(instance.Generation);
        cmd.Parameters.Add(new NpgsqlParameter { Value = calls is null ? DBNull.Value : calls, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        var claims = new List<Claim>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            claims.Add(new Claim(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetDateTime(6), reader.IsDBNull(7) ? null : reader.GetDateTime(7)));
        }
        return claims;
    }

    /// <summary>The instance's next heartbeat asks for 1 ms; then the store's own clock is awaited past it, rather than slept on.</summary>
    private async Task LeaseRunsOutAsync((string Name, long Generation) instance)
    {
        var name = instance.Name;
        Assert.Equal(instance.Generation, await HeartbeatAsync(instance, "live", leaseMs: 1));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await db.ScalarAsync<bool>($"SELECT lease_until < clock_timestamp() FROM recorder_instances WHERE name = '{name}'"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the lease never ran out");
            await Task.Delay(10);
        }
    }
}
