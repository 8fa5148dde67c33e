using Npgsql;

namespace ComplianceRecorder.Health;

/// <summary>Whether PostgreSQL answers now, with the reason when it does not.</summary>
internal sealed record StoreState(bool Reachable, string? Error);

/// <summary>
/// Asks PostgreSQL itself (a connection and SELECT 1, briefly) rather than waiting to learn from a
/// failed append, which an idle recorder never makes. One probe at a time, and its answer is reused
/// for a while, so /health/ready cannot be used to hammer the database.
/// </summary>
internal sealed class StoreProbe(NpgsqlDataSource db, TimeProvider time)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan ReuseFor = TimeSpan.FromSeconds(2);
    private readonly Lock _gate = new();
    private Task<StoreState>? _last;
    private DateTimeOffset _startedAt;

    public Task<StoreState> CheckAsync()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_last is null || (_last.IsCompleted && now - _startedAt >= ReuseFor))
            {
                _startedAt = now;
                _last = ProbeAsync();
            }
            return _last;
        }
    }

    private async Task<StoreState> ProbeAsync()
    {
        using var cts = new CancellationTokenSource(Timeout, time);
        try
        {
            await using var conn = await db.OpenConnectionAsync(cts.Token).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SELECT 1", conn);
            await cmd.ExecuteScalarAsync(cts.Token).ConfigureAwait(false);
            return new StoreState(true, null);
        }
        catch (OperationCanceledException)
        {
            return new StoreState(false, $"no answer within {Timeout.TotalSeconds:0} s");
        }
        // the answer is for anyone who asks (probes need no key): the SQLSTATE class says enough to act on,
        // while the server's own text names roles, databases and addresses
        catch (PostgresException e)
        {
            return new StoreState(false, $"PostgreSQL refused the probe (SQLSTATE {e.SqlState})");
        }
        catch (NpgsqlException)
        {
            return new StoreState(false, "PostgreSQL cannot be reached");
        }
    }
}
