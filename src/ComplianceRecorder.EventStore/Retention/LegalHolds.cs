using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Pipeline.Events;
using Npgsql;

namespace ComplianceRecorder.EventStore.Retention;

/// <summary>A hold as it stands (placed and not lifted).</summary>
public sealed record LegalHold(string HoldId, string Scope, string Target, string Reason, string PlacedBy, DateTimeOffset PlacedAt);

/// <summary>
/// Legal holds by call, agent or queue. Placing and lifting are events in the <c>$holds</c> stream; what
/// stands is the <c>legal_holds</c> view over them, which retention, erasure and <c>shred_data_keys</c> read.
/// A call's agent and queue are known when its <c>call_started</c> names them (<c>agentId</c>, <c>queueId</c>).
/// </summary>
public static class LegalHolds
{
    public static readonly IReadOnlyList<string> Scopes = ["call", "agent", "queue"];

    public static async Task<LegalHold> PlaceAsync(Appending.EventStore store, string scope, string target, string reason, string who, DateTimeOffset at, CancellationToken ct = default)
    {
        if (!Scopes.Contains(scope))
        {
            throw new ArgumentException($"scope must be one of {string.Join(", ", Scopes)}, not '{scope}'");
        }
        Require(target, "target");
        Require(reason, "reason");
        var hold = new LegalHold("hold-" + Guid.NewGuid().ToString("N")[..12], scope, target, reason, who, at);
        await store.AppendAsync([new PendingEvent(new LegalHoldPlaced(hold.HoldId, scope, target, reason, who, at))], ct).ConfigureAwait(false);
        return hold;
    }

    /// <summary>Lifts a standing hold; one that does not stand (unknown, or lifted already) is an error naming it.</summary>
    public static async Task LiftAsync(Appending.EventStore store, string holdId, string reason, string who, DateTimeOffset at, CancellationToken ct = default)
    {
        Require(reason, "reason");
        if (!(await ListAsync(store.DataSource, ct).ConfigureAwait(false)).Any(h => h.HoldId == holdId))
        {
            throw new ArgumentException($"no standing hold '{holdId}'");
        }
        await store.AppendAsync([new PendingEvent(new LegalHoldLifted(holdId, reason, who, at))], ct).ConfigureAwait(false);
    }

    public static async Task<IReadOnlyList<LegalHold>> ListAsync(NpgsqlDataSource db, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("SELECT hold_id, scope, target, reason, placed_by, placed_at FROM legal_holds ORDER BY placed_at, hold_id");
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var holds = new List<LegalHold>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            holds.Add(new LegalHold(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetFieldValue<DateTimeOffset>(5)));
        }
        return holds;
    }

    internal static void Require(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{name} is required");
        }
    }
}
