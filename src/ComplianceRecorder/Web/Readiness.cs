using ComplianceRecorder.Hosting;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace ComplianceRecorder.Web;

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
        catch (PostgresException e)
        {
            return new StoreState(false, $"{e.SqlState}: {e.MessageText}");
        }
        catch (NpgsqlException e)
        {
            return new StoreState(false, e.InnerException?.Message ?? e.Message);
        }
    }
}

/// <summary>/health/ready: 503 while the store cannot be reached or appends fail, a Genesys socket is down, or the commit backlog nears its bound.</summary>
internal sealed class Readiness(RecorderHost host, StoreProbe probe)
{
    public async Task<IResult> AnswerAsync()
    {
        var store = await probe.CheckAsync().ConfigureAwait(false);
        var appendsFailing = host.Recorder.StoreFailing;
        var storeReachable = store.Reachable && !appendsFailing;
        var state = new
        {
            storeReachable, storeError = store.Error ?? (appendsFailing ? "appends are failing" : null), genesysConnected = host.Source.Connected,
            backlog = host.Recorder.Backlog, backlogCapacity = host.Committer.Capacity, projectionLag = host.Daemon.Lag,
        };
        // a backlog near the bound means the socket reader is about to be held back
        var keepingUp = host.Recorder.Backlog < host.Committer.Capacity * 8 / 10;
        return storeReachable && host.Source.Connected && keepingUp
            ? Results.Json(new { status = "ready", state })
            : Results.Json(new { status = "not ready", state }, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
