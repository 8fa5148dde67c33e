using System.Security.Cryptography;
using System.Text;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Encryption;
using ComplianceRecorder.Pipeline.Events;
using Npgsql;

namespace ComplianceRecorder.EventStore.Retention;

/// <summary>Erase one call (<see cref="Call"/>) or every call tagged with a customer identifier (<see cref="Customer"/>).</summary>
public sealed record ErasureRequest(string? Call, string? Customer, string Why, string Ticket, string Who);

/// <summary>What an erasure did: the calls erased now, those held back by a legal hold (with the holds), those erased before.</summary>
public sealed record ErasureResult(string RequestId, IReadOnlyList<string> Erased, IReadOnlyList<HeldCall> HeldBack, IReadOnlyList<string> AlreadyGone);

public sealed record HeldCall(string Call, IReadOnlyList<string> Holds);

/// <summary>
/// Erasure (GDPR art. 17) by crypto-shredding: each matching call not under hold gets a <c>call_erased</c>
/// event and, in the same transaction, its data key destroyed; the request and its answer are a
/// <c>erasure_requested</c> event. A customer identifier is never stored: calls are tagged with its HMAC
/// under a key of the store's own (<c>customer_tagged</c>), and a request finds them by the same HMAC.
/// </summary>
public static class Erasure
{
    private const string CustomerKeyId = "$customer-ids";
    private const int Batch = 1000;

    /// <summary>
    /// The keyed hash a customer identifier is known by. Trimmed, NFKC-normalised and upper-cased first: an
    /// erasure typed "cust-0042" must find the calls tagged "CUST-0042", or the customer is not erased.
    /// </summary>
    public static async Task<string> CustomerHashAsync(DataKeys keys, string customer, CancellationToken ct = default)
    {
        LegalHolds.Require(customer, "customer");
        var key = await keys.SecretAsync(CustomerKeyId, ct).ConfigureAwait(false);
        try
        {
            return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(customer.Trim().Normalize(NormalizationForm.FormKC).ToUpperInvariant())));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Ties a recorded call to a customer identifier, as an event naming who did it.</summary>
    public static async Task TagAsync(Appending.EventStore store, string call, string customer, string who, DateTimeOffset at, CancellationToken ct = default)
    {
        await RequireCallAsync(store.DataSource, call, ct).ConfigureAwait(false);
        var hash = await CustomerHashAsync(KeysOf(store), customer, ct).ConfigureAwait(false);
        await store.AppendAsync([new PendingEvent(new CustomerTagged(call, hash, who, at))], ct).ConfigureAwait(false);
    }

    public static async Task<ErasureResult> EraseAsync(Appending.EventStore store, ErasureRequest request, DateTimeOffset at, CancellationToken ct = default)
    {
        LegalHolds.Require(request.Why, "why (the reason)");
        LegalHolds.Require(request.Ticket, "ticket");
        if ((request.Call is null) == (request.Customer is null))
        {
            throw new ArgumentException("name either a call or a customer identifier");
        }
        var db = store.DataSource;
        string by, target;
        string[] calls;
        if (request.Call is { } call)
        {
            await RequireCallAsync(db, call, ct).ConfigureAwait(false);
            (by, target, calls) = ("call", call, [call]);
        }
        else
        {
            var hash = await CustomerHashAsync(KeysOf(store), request.Customer!, ct).ConfigureAwait(false);
            await using var find = db.CreateCommand("SELECT DISTINCT stream_id FROM events WHERE type = 'customer_tagged' AND data->>'customerHash' = $1 ORDER BY 1");
            find.Parameters.AddWithValue(hash);
            calls = [.. await ReadStringsAsync(find, ct).ConfigureAwait(false)];
            (by, target) = ("customer", hash);
        }

        var held = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var gone = new HashSet<string>(StringComparer.Ordinal);
        await using (var state = db.CreateCommand("""
            SELECT r.conversation_id, r.destroyed_at IS NOT NULL, h.hold_id
              FROM retained_calls r LEFT JOIN held_calls h USING (conversation_id)
             WHERE r.conversation_id = ANY($1)
            """))
        {
            state.Parameters.AddWithValue(calls);
            await using var r = await state.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                if (r.GetBoolean(1))
                {
                    gone.Add(r.GetString(0));
                }
                else if (!r.IsDBNull(2))
                {
                    (held.TryGetValue(r.GetString(0), out var l) ? l : held[r.GetString(0)] = []).Add(r.GetString(2));
                }
            }
        }
        var requestId = "erasure-" + Guid.NewGuid().ToString("N")[..12];
        var erased = await ShredAsync(store, calls.Where(c => !gone.Contains(c) && !held.ContainsKey(c)).ToList(), c => c,
            c => new CallErased(c, c, requestId, request.Who, request.Why, request.Ticket, at), (c, holds) => held[c] = holds, ct).ConfigureAwait(false);
        var heldBack = held.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => new HeldCall(h.Key, h.Value)).ToList();
        await store.AppendAsync([new PendingEvent(new ErasureRequested(requestId, by, target, request.Who, request.Why, request.Ticket, erased, [.. heldBack.Select(h => h.Call)], at))], ct).ConfigureAwait(false);
        return new ErasureResult(requestId, erased, heldBack, [.. gone.Order(StringComparer.Ordinal)]);
    }

    /// <summary>
    /// Appends each order (<c>call_erased</c>, <c>call_expired</c>) with its key's destruction, a chunk at a time.
    /// A hold placed after the caller read them makes the database refuse the chunk (P0423): the holds are read
    /// again, the calls now held are handed to <paramref name="nowHeld"/> and the rest go again, so no order is
    /// recorded for a key that stays. Returns the items whose keys were destroyed.
    /// </summary>
    internal static async Task<List<T>> ShredAsync<T>(Appending.EventStore store, List<T> items, Func<T, string> callOf, Func<T, RecordedEvent> order,
        Action<string, List<string>> nowHeld, CancellationToken ct)
    {
        var done = new List<T>(items.Count);
        foreach (var chunk in items.Chunk(Batch))
        {
            var take = chunk.ToList();
            // a refusal whose hold is lifted again before it is read finds no hold: the chunk goes again, a few times
            var unexplained = 0;
            while (take.Count > 0)
            {
                var ids = take.Select(callOf).ToArray();
                try
                {
                    await store.AppendAsync([.. take.Select(i => new PendingEvent(order(i)))], ids, ct).ConfigureAwait(false);
                    KeysOf(store).Forget(ids);
                    done.AddRange(take);
                    break;
                }
                catch (PostgresException e) when (e.SqlState == HeldSqlState)
                {
                    var holds = await HoldsOfAsync(store.DataSource, ids, ct).ConfigureAwait(false);
                    if (holds.Count == 0 && ++unexplained < 3)
                    {
                        continue;
                    }
                    if (holds.Count == 0)
                    {
                        throw;
                    }
                    foreach (var (call, h) in holds)
                    {
                        nowHeld(call, h);
                    }
                    take.RemoveAll(i => holds.ContainsKey(callOf(i)));
                }
            }
        }
        return done;
    }

    /// <summary>The SqlState <c>shred_data_keys</c> refuses an order for a held call with.</summary>
    internal const string HeldSqlState = "P0423";

    private static async Task<Dictionary<string, List<string>>> HoldsOfAsync(NpgsqlDataSource db, string[] calls, CancellationToken ct)
    {
        var holds = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using var cmd = db.CreateCommand("SELECT conversation_id, hold_id FROM held_calls WHERE conversation_id = ANY($1)");
        cmd.Parameters.AddWithValue(calls);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            (holds.TryGetValue(r.GetString(0), out var l) ? l : holds[r.GetString(0)] = []).Add(r.GetString(1));
        }
        return holds;
    }

    internal static DataKeys KeysOf(Appending.EventStore store) =>
        store.Keys ?? throw new InvalidOperationException("erasure and retention need a store that seals text (EventStore with DataKeys)");

    private static async Task RequireCallAsync(NpgsqlDataSource db, string call, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT count(*) FROM retained_calls WHERE conversation_id = $1");
        cmd.Parameters.AddWithValue(call);
        if ((long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 0)
        {
            throw new ArgumentException($"no recorded call '{call}'");
        }
    }

    internal static async Task<List<string>> ReadStringsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var found = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            found.Add(r.GetString(0));
        }
        return found;
    }
}
