using ComplianceRecorder.EventStore.Encryption;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Pipeline.Events;
using Npgsql;
using NpgsqlTypes;

namespace ComplianceRecorder.EventStore.Appending;

/// <summary>
/// Appends batches in one round trip through the <c>append_events</c> function. With
/// <paramref name="heads"/>, the same transaction reads back the heads it wrote (the stream rows stay
/// locked until it commits, so they are this batch's), for the signer to sign only what was appended here.
/// With <paramref name="dataKeys"/>, transcript text is sealed with its call's data key before it is serialized.
/// </summary>
public sealed class EventStore(NpgsqlDataSource db, string writer, AppendedHeads? heads = null, DataKeys? dataKeys = null, WriterLease? lease = null)
{
    public NpgsqlDataSource DataSource => db;

    public string Writer => writer;

    public DataKeys? Keys => dataKeys;

    public Task<Appended[]> AppendAsync(IReadOnlyList<PendingEvent> batch, CancellationToken ct = default) => AppendAsync(batch, null, ct);

    /// <summary>
    /// Appends <paramref name="batch"/> and, in the same transaction, destroys the data keys its events order
    /// destroyed (<c>shred_data_keys</c> checks each against them): the order and the destruction commit together.
    /// </summary>
    public async Task<Appended[]> AppendAsync(IReadOnlyList<PendingEvent> batch, string[]? shred, CancellationToken ct = default)
    {
        var n = batch.Count;
        var events = new RecordedEvent[n];
        var streams = new string[n];
        var expected = new int?[n];
        var types = new string[n];
        var schemas = new int[n];
        var data = new string[n];
        var meta = new string[n];
        var keys = new string?[n];
        for (var i = 0; i < n; i++)
        {
            var e = events[i] = batch[i].Event;
            // text columns refuse a NUL as jsonb does; the data's strings are made safe by EventJson
            streams[i] = JsonSafeString.Sanitize(e.StreamId);
            keys[i] = e.SourceKey is { } key ? JsonSafeString.Sanitize(key) : null;
        }
        if (dataKeys is not null)
        {
            await dataKeys.SealAsync(events, streams, keys, ct).ConfigureAwait(false);
        }
        for (var i = 0; i < n; i++)
        {
            var e = events[i];
            expected[i] = batch[i].ExpectedVersion;
            types[i] = e.Type;
            schemas[i] = e.SchemaVersion;
            try
            {
                data[i] = EventJson.Serialize(e);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new UnserializableEventException(e, ex);
            }
            meta[i] = "{}";
        }
        await using var round = db.CreateBatch();
        // the fence is checked inside append_events (p_generation), under the writer's membership row lock: a lapsed
        // writer's batch is refused whole (P0411), and no statement of it holds a lock before the append has arrived
        // unfenced (single mode, verbs), the call leaves p_generation to its default: the same call then reaches the
        // append of a store not yet migrated to the fence, as a recorder of the earlier build does
        var generation = lease?.Generation;
        var cmd = new NpgsqlBatchCommand(generation is null
            ? "SELECT idx, stream_id, version, seq, duplicate FROM append_events($1, $2, $3, $4, $5, $6, $7, $8)"
            : "SELECT idx, stream_id, version, seq, duplicate FROM append_events($1, $2, $3, $4, $5, $6, $7, $8, $9)");
        round.BatchCommands.Add(cmd);
        cmd.Parameters.Add(new NpgsqlParameter { Value = streams, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = expected, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = types, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = schemas, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = data, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new NpgsqlParameter { Value = meta, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new NpgsqlParameter { Value = keys, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = writer, NpgsqlDbType = NpgsqlDbType.Text });
        if (generation is not null)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = generation.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        }
        if (shred is not null)
        {
            var destroy = new NpgsqlBatchCommand("SELECT shred_data_keys($1)");
            destroy.Parameters.Add(new NpgsqlParameter { Value = shred, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            round.BatchCommands.Add(destroy);
        }
        if (heads is not null)
        {
            var read = new NpgsqlBatchCommand("SELECT id, version, head_hash FROM streams WHERE id = ANY($1)");
            read.Parameters.Add(new NpgsqlParameter { Value = streams, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            round.BatchCommands.Add(read);
        }
        var result = new Appended[n];
        List<(string, AppendedHead)>? written = null;
        try
        {
            // a batch without a transaction runs in one implicit transaction: every event commits, or none
            await using (var reader = await round.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    result[reader.GetInt32(0) - 1] = new Appended(reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3), reader.GetBoolean(4));
                }
                if (shred is not null)
                {
                    await reader.NextResultAsync(ct).ConfigureAwait(false);
                }
                if (heads is not null && await reader.NextResultAsync(ct).ConfigureAwait(false))
                {
                    written = await WrittenHeadsAsync(reader, result, ct).ConfigureAwait(false);
                }
            }
            // the reader is done once the transaction has committed: only then are these heads the store's
            foreach (var (stream, head) in written ?? [])
            {
                heads!.Record(stream, head);
            }
        }
        catch (PostgresException e) when (e.SqlState == "P0409")
        {
            throw new ConcurrencyException(e.MessageText, e);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // two writers raced on the same stream version or source key; the caller may retry
            throw new ConcurrencyException(e.MessageText, e);
        }
        return result;
    }

    private static async Task<List<(string, AppendedHead)>> WrittenHeadsAsync(NpgsqlDataReader reader, Appended[] result, CancellationToken ct)
    {
        var written = new List<(string, AppendedHead)>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var stream = reader.GetString(0);
            var version = reader.GetInt32(1);
            // a head this batch wrote, not one found there (a batch of duplicates appends nothing of its own)
            if (Array.Exists(result, a => !a.Duplicate && a.Version == version && a.StreamId == stream))
            {
                written.Add((stream, new AppendedHead(version, (byte[])reader[2])));
            }
        }
        return written;
    }
}
