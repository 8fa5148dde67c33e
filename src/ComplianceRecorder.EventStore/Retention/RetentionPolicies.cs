using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Pipeline.Events;
using Npgsql;

namespace ComplianceRecorder.EventStore.Retention;

/// <summary>A policy in force: for a queue, or the default (<see cref="QueueId"/> null).</summary>
public sealed record RetentionPolicy(string? QueueId, int Days, string SetBy, DateTimeOffset SetAt)
{
    public string Name => QueueId is null ? "default" : "queue:" + QueueId;
}

/// <summary>Shortening a policy would shred calls before the term they were recorded under.</summary>
public sealed class RetentionShorteningRefusedException(string message) : Exception(message);

/// <summary>
/// Retention policies, as <c>retention_policy_set</c> events in the <c>$retention</c> stream (the latest per
/// scope is in force). Lengthening is always allowed. Shortening is refused while any call under the policy
/// still has its key, as each would be shredded before the term it was recorded under (the established
/// recorders' rule, and S3 Object Lock's); setting the first policy of a scope shortens nothing.
/// </summary>
public static class RetentionPolicies
{
    public const int MaxDays = 36_500;

    public static async Task<IReadOnlyList<RetentionPolicy>> ListAsync(NpgsqlDataSource db, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("SELECT queue_id, days, set_by, set_at FROM retention_policies ORDER BY queue_id NULLS FIRST");
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var policies = new List<RetentionPolicy>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            policies.Add(new RetentionPolicy(r.IsDBNull(0) ? null : r.GetString(0), r.GetInt32(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3)));
        }
        return policies;
    }

    public static async Task<RetentionPolicy> SetAsync(Appending.EventStore store, string? queueId, int days, string who, DateTimeOffset at, CancellationToken ct = default)
    {
        if (days is < 1 or > MaxDays)
        {
            throw new ArgumentException($"days must be from 1 to {MaxDays}, not {days}");
        }
        if (queueId is not null)
        {
            LegalHolds.Require(queueId, "queue");
        }
        var policies = await ListAsync(store.DataSource, ct).ConfigureAwait(false);
        var current = policies.FirstOrDefault(p => p.QueueId == queueId) ?? (queueId is null ? null : policies.FirstOrDefault(p => p.QueueId is null));
        if (current is not null && days < current.Days)
        {
            // the calls this scope's term governs now: the queue's, or for the default those of queues without their own
            await using var cmd = store.DataSource.CreateCommand("""
                SELECT count(*), min(r.started_at) FROM retained_calls r
                 WHERE r.destroyed_at IS NULL
                   AND CASE WHEN $1::text IS NULL
                            THEN r.queue_id IS NULL OR NOT EXISTS (SELECT 1 FROM retention_policies p WHERE p.queue_id = r.queue_id)
                            ELSE r.queue_id = $1 END
                """);
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)queueId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await r.ReadAsync(ct).ConfigureAwait(false);
            if (r.GetInt64(0) > 0)
            {
                throw new RetentionShorteningRefusedException(
                    $"shortening {current.Name} from {current.Days} to {days} days is refused: {r.GetInt64(0)} call(s) recorded under it (the oldest started {r.GetFieldValue<DateTimeOffset>(1):yyyy-MM-dd}) would be shredded before their term; lengthening is always allowed");
            }
        }
        await store.AppendAsync([new PendingEvent(new RetentionPolicySet(queueId, days, who, at))], ct).ConfigureAwait(false);
        return new RetentionPolicy(queueId, days, who, at);
    }
}
