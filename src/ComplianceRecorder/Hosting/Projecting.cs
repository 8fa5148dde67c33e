using ComplianceRecorder.EventStore.Projections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Hosting;

/// <summary>
/// Runs the projection daemon for the host's life; at stop, after the recorder has drained and committed,
/// projects what that drain added (the last metrics windows) rather than leaving it to some later start.
/// </summary>
internal sealed class Projecting(ProjectionDaemon daemon, TimeProvider time, ILogger<Projecting> log) : BackgroundService
{
    private static readonly TimeSpan LastPassBound = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await daemon.RunAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // the store is down at the start, lost the leader's connection, or a row could not be projected:
                // projections wait and retry, recording does not (a BackgroundService's fault would end the host)
                HostLog.ProjectionLost(log, e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (!daemon.IsLeader)
        {
            return;
        }
        // its own wall-clock bound, not the host's, which a slow web stop may have spent
        using var bound = new CancellationTokenSource(LastPassBound);
        try
        {
            while (await daemon.StepAsync(bound.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e)
        {
            // the store is down or the bound came: the next leader projects them
            HostLog.ProjectionLost(log, e.Message);
        }
    }
}
