using Microsoft.Extensions.Logging;
using Npgsql;

namespace ComplianceRecorder.EventStore.Projections;

/// <summary>
/// The async projection of metrics windows. One leader among however many recorders run (a session
/// advisory lock on a dedicated connection); it reads <c>seq &gt; checkpoint AND seq &lt;= high water</c> and
/// moves the checkpoint in the same transaction as the rows it writes, so a crash neither repeats nor
/// skips an event. The high-water mark is read under an exclusive advisory lock that every append
/// holds shared: once it is granted, no append is in flight, so no lower sequence can still commit.
/// Numbers below it that no event holds were burned by rollbacks; they are counted, never waited for.
/// </summary>
public sealed class ProjectionDaemon(NpgsqlDataSource db, TimeProvider time, ILogger log)
{
    public const string Name = "metrics";
    private const long LeaderKey = 727275;
    private const long AppendKey = 727274;
    private const int BatchSize = 1000;

    public long Checkpoint { get; private set; }

    public long HighWater { get; private set; }

    /// <summary>Events the projection has not reached yet (for readiness).</summary>
    public long Lag => Math.Max(0, HighWater - Checkpoint);

    public bool IsLeader { get; private set; }

    /// <summary>
    /// The step that keeps failing, if the last one failed: a row the projection cannot take fails at the
    /// same checkpoint every time, and is retried (it may be the store), but must not go unnoticed.
    /// </summary>
    public ProjectionFault? Fault { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        await using var leader = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        while (!ct.IsCancellationRequested)
        {
            await using (var cmd = new NpgsqlCommand($"SELECT pg_try_advisory_lock({LeaderKey})", leader))
            {
                IsLeader = (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }
            if (IsLeader)
            {
                break;
            }
            await Task.Delay(TimeSpan.FromSeconds(2), time, ct).ConfigureAwait(false);
        }
        EventStoreLog.ProjectionLeads(log, Name);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // a pause once caught up with the high-water mark, not only when nothing came: under a steady load
                // every step finds new events, and each high-water read holds every append back for a moment
                await StepAsync(ct).ConfigureAwait(false);
                if (Checkpoint >= HighWater)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), time, ct).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                EventStoreLog.ProjectionStepFailed(log, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Projects one batch; returns how many events it consumed (0: caught up).</summary>
    public async Task<int> StepAsync(CancellationToken ct = default)
    {
        try
        {
            var n = await StepOnceAsync(ct).ConfigureAwait(false);
            Fault = null;
            return n;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // the SQLSTATE or the exception's kind, never the server's text, which can quote a value
            var kind = (e as PostgresException)?.SqlState ?? e.GetType().Name;
            Fault = Fault is { } f && f.Checkpoint == Checkpoint
                ? f with { Attempts = f.Attempts + 1, Kind = kind }
                : new ProjectionFault(Checkpoint, kind, time.GetUtcNow(), 1);
            throw;
        }
    }

    private async Task<int> StepOnceAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        HighWater = await ReadHighWaterAsync(conn, ct).ConfigureAwait(false);

        // the step runs as the schema's owner (a definer function): the recorder's role writes no table itself
        long from, to;
        await using (var cmd = new NpgsqlCommand("SELECT from_seq, to_seq FROM project_metrics_batch($1, $2)", conn))
        {
            cmd.Parameters.AddWithValue(HighWater);
            cmd.Parameters.AddWithValue(BatchSize);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await r.ReadAsync(ct).ConfigureAwait(false);
            (from, to) = (r.GetInt64(0), r.GetInt64(1));
        }
        Checkpoint = to;
        return (int)Math.Min(int.MaxValue, to - from);
    }

    internal static async Task<long> ReadHighWaterAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await Exec(conn, tx, $"SELECT pg_advisory_xact_lock({AppendKey})", ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("SELECT coalesce(max(seq), 0) FROM events", conn, tx);
        var hw = (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return hw;
    }

    private static async Task Exec(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}

/// <summary>A projection step failing after <see cref="Checkpoint"/>: with what (a SQLSTATE or an exception's kind), since when, how many times in a row.</summary>
public sealed record ProjectionFault(long Checkpoint, string Kind, DateTimeOffset Since, int Attempts);
