using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Genesys;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace ComplianceRecorder.Hosting;

/// <summary>
/// A call as <c>claim_calls</c> answered for this instance; <see cref="GapFrom"/>: time nobody followed it, for
/// this holder to record (until <see cref="GapTo"/>, or until it follows the call when null).
/// </summary>
public sealed record CallClaim(string Call, bool Mine, bool Covered, bool FoundFirst, string? Owner, string? Standby, DateTimeOffset? GapFrom, DateTimeOffset? GapTo);

/// <summary>
/// This recorder's membership among the instances on one store (#15): it joins at start (a new generation,
/// which fences every append from then on), renews its lease every heartbeat and, in a loop of its own at the same
/// pace, runs the periodic claim, which declares lapsed every instance whose lease ran out and gives their calls to
/// live ones (a claim slowed by the calls it hands this instance, their subscriptions and gaps, must not delay the
/// renewal: a busy survivor would miss its own lease and be declared lapsed by the instance it was covering for). Told that its own generation was declared lapsed (it was cut off from the store past its lease and
/// another instance took its calls over), it stops the host, writing nothing more: the store refuses its
/// appends anyway. At stop it leaves, which frees its calls at once.
/// </summary>
public sealed class InstanceMembership(
    IOptions<InstanceOptions> options,
    [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db,
    WriterLease lease,
    GenesysOptions genesys,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<InstanceMembership> log) : IHostedService, ICallGate, IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _beats = Task.CompletedTask;
    // "live", or "leaving" once a stop hands the calls over: every heartbeat says which
    private volatile string _state = "live";
    // set by the heartbeat's loop, read by the claim's
    private volatile string? _lapsed;

    public string Name => lease.Name;

    public string Mode => options.Value.Mode;

    /// <summary>Why this instance stopped recording on its own: its generation was declared lapsed.</summary>
    public string? Lapsed => _lapsed;

    /// <summary>Each periodic claim's answer (this instance's calls, and calls that changed holders); the recording follows them.</summary>
    public Func<IReadOnlyList<CallClaim>, CancellationToken, Task>? Claimed { get; set; }

    /// <summary>Calls this instance may hold at once: the Genesys topics its channels take, less the fixed ones.</summary>
    private int Capacity => Math.Max(0, (genesys.MaxChannels * genesys.TopicsPerChannel) - genesys.QueueIds.Count - genesys.UserIds.Count);

    /// <summary>Whether this instance joined the store's membership (every mode but <c>single</c>).</summary>
    public bool Joined => lease.Generation is not null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Mode == InstanceOptions.Single)
        {
            // the only recorder on the store: it follows every call it finds, and nothing fences its appends
            return;
        }
        var generation = await BeatAsync(null, "live", cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the store gave no generation to a joining instance");
        lease.Generation = generation;
        HostLog.InstanceJoined(log, lease.Name, generation, options.Value.Mode);
        _beats = Task.WhenAll(
            Task.Run(() => BeatLoopAsync(generation, _stop.Token), CancellationToken.None),
            Task.Run(() => ClaimLoopAsync(_stop.Token), CancellationToken.None));
    }

    /// <summary>The calls just found: who follows each (claimed now if nobody does yet).</summary>
    public async Task<IReadOnlyList<CallClaim>> ClaimAsync(IReadOnlyCollection<string>? calls, CancellationToken ct)
    {
        if (lease.Generation is not { } generation)
        {
            return [];
        }
        await using var cmd = db.CreateCommand("SELECT call_id, mine, covered, found_first, call_owner, call_standby, gap_from, gap_to FROM claim_calls($1, $2, $3)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = lease.Name, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = generation, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = calls is null ? DBNull.Value : calls.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        var claims = new List<CallClaim>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            claims.Add(new CallClaim(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7)));
        }
        return claims;
    }

    /// <summary>A call found on a queue: followed here, by others, or by nobody (no instance has room).</summary>
    public async ValueTask<CallTaking> ClaimAsync(string conversationId, CancellationToken ct)
    {
        if (lease.Generation is null)
        {
            return CallTaking.Follow;
        }
        var claims = await ClaimAsync([conversationId], ct).ConfigureAwait(false);
        // no row: the call's end is already recorded
        return claims.Count == 0 ? CallTaking.Elsewhere
            : claims[0].Mine ? CallTaking.Follow
            : claims[0] is { Owner: null, FoundFirst: true } ? CallTaking.Unfollowable
            : CallTaking.Elsewhere;
    }

    /// <summary>
    /// Hands this instance's calls to the others before a stop (a rolling restart): it starts leaving, the others'
    /// next claims take its calls while it still follows them, and once none is its own (or the bound passes, as when
    /// it is the last instance) it waits <paramref name="overlap"/> more, for the takers' subscriptions to be in place.
    /// </summary>
    /// <returns>The calls others now hold: their end is not this instance's to record.</returns>
    public async Task<IReadOnlySet<string>> HandOverAsync(IReadOnlyCollection<string> following, TimeSpan overlap, CancellationToken ct)
    {
        if (lease.Generation is not { } generation || following.Count == 0 || !await OthersLiveAsync(ct).ConfigureAwait(false))
        {
            return new HashSet<string>();
        }
        var since = await StoreNowAsync(ct).ConfigureAwait(false);
        _state = "leaving";
        if (await BeatAsync(generation, _state, ct).ConfigureAwait(false) is null)
        {
            return new HashSet<string>();
        }
        var deadline = time.GetTimestamp() + (long)(2 * options.Value.LeaseSeconds * time.TimestampFrequency);
        HashSet<string> handed = [];
        try
        {
            await WaitForTakersAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the stop's bound ran out: what the store already names another holder of is handed all the same (its
            // taker records it; a "recorder stopped" end from here would be false, and would stand for the real one)
        }
        HostLog.HandedOver(log, handed.Count, following.Count);
        return handed;

        async Task WaitForTakersAsync()
        {
            while (true)
            {
                handed = await HeldElsewhereAsync(following, ct).ConfigureAwait(false);
                if (handed.Count == following.Count || time.GetTimestamp() > deadline)
                {
                    break;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct).ConfigureAwait(false);
            }
            if (handed.Count == 0)
            {
                return;
            }
            // named in the store is not heard: under load a taker's subscription took longer than the overlap, and finals
            // said meanwhile were lost without a gap. So, within the same bound again, until each taker has recorded a
            // segment of the call since this instance began leaving (a call silent all along has nothing to lose)
            deadline = time.GetTimestamp() + (long)(2 * options.Value.LeaseSeconds * time.TimestampFrequency);
            while (await UnheardByTakersAsync(handed, since, ct).ConfigureAwait(false) > 0 && time.GetTimestamp() <= deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct).ConfigureAwait(false);
            }
            await Task.Delay(overlap, time, ct).ConfigureAwait(false);
        }
    }

    private async Task<DateTime> StoreNowAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT clock_timestamp()");
        return (DateTime)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Of <paramref name="calls"/>, how many no holder the store now names (other than this instance) has recorded a
    /// segment of since <paramref name="since"/>: another instance's overlap (one leaving too) is not a taker.
    /// </summary>
    private async Task<long> UnheardByTakersAsync(IReadOnlyCollection<string> calls, DateTime since, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT count(*) FROM unnest($1) c(id)
             WHERE NOT EXISTS (SELECT 1 FROM events e JOIN call_leases l ON l.conversation_id = e.stream_id
                                WHERE e.stream_id = c.id AND e.type = 'segment_recorded' AND e.recorded_at >= $3
                                  AND e.writer <> $2 AND e.writer IN (l.owner, l.standby))
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = calls.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = lease.Name, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = since, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private async Task<bool> OthersLiveAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT EXISTS (SELECT 1 FROM recorder_instances WHERE name <> $1 AND lapsed_at IS NULL AND NOT leaving AND lease_until >= clock_timestamp())");
        cmd.Parameters.Add(new NpgsqlParameter { Value = lease.Name, NpgsqlDbType = NpgsqlDbType.Text });
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
    }

    private async Task<HashSet<string>> HeldElsewhereAsync(IReadOnlyCollection<string> calls, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT c.conversation_id FROM call_leases c
             WHERE c.conversation_id = ANY($1) AND $2 IS DISTINCT FROM c.owner AND $2 IS DISTINCT FROM c.standby
               AND (c.owner IS NOT NULL OR c.standby IS NOT NULL)
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = calls.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = lease.Name, NpgsqlDbType = NpgsqlDbType.Text });
        var held = new HashSet<string>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            held.Add(reader.GetString(0));
        }
        return held;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _beats.ConfigureAwait(false);
        if (lease.Generation is { } generation && Lapsed is null)
        {
            try
            {
                await BeatAsync(generation, "left", cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException)
            {
                // the store is gone: the lease runs out on its own and another instance declares it
                HostLog.HeartbeatFailed(log, e.Message);
            }
        }
    }

    /// <summary>Ends the heartbeats of a host disposed without a stop; the container may call it twice (service and hosted service).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _beats.ConfigureAwait(false);
    }

    private Task BeatLoopAsync(long generation, CancellationToken ct) => EveryBeatAsync(async () =>
    {
        if (await BeatAsync(generation, _state, ct).ConfigureAwait(false) is null)
        {
            _lapsed = $"instance {lease.Name} (generation {generation}) lost its lease: another instance declared it lapsed and took its calls over";
            HostLog.InstanceLapsed(log, lease.Name, generation);
            lifetime.StopApplication();
            return false;
        }
        return true;
    }, ct);

    private Task ClaimLoopAsync(CancellationToken ct) => EveryBeatAsync(async () =>
    {
        // only once the recording can follow what it is given: a gap the store hands over is handed once
        if (Claimed is { } claimed && Lapsed is null)
        {
            var claims = await ClaimAsync((IReadOnlyCollection<string>?)null, ct).ConfigureAwait(false);
            if (claims.Count > 0)
            {
                await claimed(claims, ct).ConfigureAwait(false);
            }
        }
        return Lapsed is null;
    }, ct);

    /// <summary>Runs <paramref name="beat"/> every heartbeat until it answers false or the stop comes.</summary>
    private async Task EveryBeatAsync(Func<Task<bool>> beat, CancellationToken ct)
    {
        var every = TimeSpan.FromSeconds(options.Value.HeartbeatSeconds);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, time, ct).ConfigureAwait(false);
                if (!await beat().ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // the store is unreachable or slow: the lease runs on, and runs out if this lasts; anything else is
                // logged and the beat goes on, since a loop that died would let the lease lapse while the process records
                HostLog.HeartbeatFailed(log, e.ToString());
            }
        }
    }

    private async Task<long?> BeatAsync(long? generation, string state, CancellationToken ct)
    {
        var o = options.Value;
        await using var cmd = db.CreateCommand("SELECT instance_heartbeat($1, $2, $3, $4, $5, $6)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = lease.Name, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = generation is { } g ? g : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = o.Mode, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Capacity, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (int)(o.LeaseSeconds * 1000), NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = state, NpgsqlDbType = NpgsqlDbType.Text });
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is long g2 ? g2 : null;
    }
}
