using ComplianceRecorder.EventStore.Retention;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ComplianceRecorder.Hosting;

/// <summary>The recorder's appends for compliance administration (holds, erasure, retention): sealing, and signed by the recorder's signer.</summary>
internal sealed record AdminStore(EventStore.Appending.EventStore Events);

/// <summary>
/// Applies the retention policies at start and every <c>Retention:IntervalMinutes</c> on the injected clock:
/// what <c>retention run</c> does. A pass that fails (the store down) is logged and tried at the next tick.
/// </summary>
internal sealed partial class RetentionJob(AdminStore store, IOptions<RetentionOptions> options, TimeProvider time, ILogger<RetentionJob> log) : BackgroundService
{
    /// <summary>Passes done, for tests that drive the clock.</summary>
    public int Passes { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }
        var every = TimeSpan.FromMinutes(options.Value.IntervalMinutes);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // a fixed cadence: the next pass is due an interval after this one began, however long it took
                var due = time.GetUtcNow() + every;
                await PassAsync(stoppingToken).ConfigureAwait(false);
                if (due - time.GetUtcNow() is { Ticks: > 0 } wait)
                {
                    await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PassAsync(CancellationToken ct)
    {
        try
        {
            var result = await RetentionRun.ApplyAsync(store.Events, time.GetUtcNow(), ct).ConfigureAwait(false);
            if (result.Expired.Count > 0 || result.HeldBack.Count > 0)
            {
                Expired(log, result.Expired.Count, result.HeldBack.Count, result.UnderDefaultForUnknownQueue);
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            Failed(log, e.Message);
        }
        finally
        {
            Passes++;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: {Expired} calls expired (keys destroyed), {Held} past their term kept by a legal hold, {Unknown} of the expired under the default policy as their events name no queue")]
    private static partial void Expired(ILogger log, int expired, int held, int unknown);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention pass failed, tried again at the next interval: {Error}")]
    private static partial void Failed(ILogger log, string error);
}
