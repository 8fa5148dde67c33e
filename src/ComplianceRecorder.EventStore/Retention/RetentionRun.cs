using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Pipeline.Events;

namespace ComplianceRecorder.EventStore.Retention;

/// <summary>
/// What a retention pass did: calls whose key it destroyed, calls past their term kept by a legal hold,
/// and how many of the expired had no queue in their events (the default policy was applied to them).
/// </summary>
public sealed record RetentionResult(IReadOnlyList<string> Expired, IReadOnlyList<string> HeldBack, int UnderDefaultForUnknownQueue);

/// <summary>
/// One retention pass at <c>now</c> (the injected clock's): every call whose policy's term has run out since
/// it started, and which no hold covers, gets a <c>call_expired</c> event (which policy, its term, whether
/// the queue was known) and its data key destroyed in the same transaction. A call whose events name no
/// queue (or a queue without a policy) falls under the default; with no default, it is kept.
/// </summary>
public static class RetentionRun
{
    public static async Task<RetentionResult> ApplyAsync(Appending.EventStore store, DateTimeOffset now, CancellationToken ct = default)
    {
        var due = new List<CallExpired>();
        var held = new List<string>();
        await using (var cmd = store.DataSource.CreateCommand("""
            SELECT r.conversation_id, r.started_at, r.queue_id, q.days, d.days, h.conversation_id IS NOT NULL
              FROM retained_calls r
              LEFT JOIN retention_policies q ON q.queue_id = r.queue_id
              LEFT JOIN retention_policies d ON d.queue_id IS NULL
              LEFT JOIN (SELECT DISTINCT conversation_id FROM held_calls) h ON h.conversation_id = r.conversation_id
             WHERE r.destroyed_at IS NULL AND coalesce(q.days, d.days) IS NOT NULL
               AND r.started_at + make_interval(days => coalesce(q.days, d.days)) <= $1
             ORDER BY r.started_at, r.conversation_id
            """))
        {
            cmd.Parameters.AddWithValue(now);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var call = r.GetString(0);
                if (r.GetBoolean(5))
                {
                    held.Add(call);
                    continue;
                }
                var queue = r.IsDBNull(2) ? null : r.GetString(2);
                var byQueue = !r.IsDBNull(3);
                due.Add(new CallExpired(call, call, byQueue ? "queue:" + queue : "default", byQueue ? r.GetInt32(3) : r.GetInt32(4),
                    queue is not null, r.GetFieldValue<DateTimeOffset>(1), now));
            }
        }
        var expired = await Erasure.ShredAsync(store, due, e => e.KeyId, e => e, (call, _) => held.Add(call), ct).ConfigureAwait(false);
        return new RetentionResult([.. expired.Select(e => e.ConversationId)], held, expired.Count(e => !e.QueueKnown));
    }
}
