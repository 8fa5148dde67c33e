using ComplianceRecorder.EventStore.Verification;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ComplianceRecorder.Hosting;

/// <summary>
/// Signs the heads of the streams this recorder appended to, and an anchor over the whole store: at start
/// (what the store holds is anchored before anything is appended), every <c>Recorder:CheckpointSeconds</c>,
/// and once more at stop, after the drain's last commits and before the store closes.
/// </summary>
internal sealed class CheckpointSigning(
    [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, CheckpointKeys keys, AppendedHeads heads, IOptions<RecorderOptions> options, TimeProvider time, ILogger<CheckpointSigning> log)
    : BackgroundService
{
    private static readonly TimeSpan LastPassBound = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = TimeSpan.FromSeconds(options.Value.CheckpointSeconds);
        await SignOnceAsync(stoppingToken).ConfigureAwait(false);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(every, time, stoppingToken).ConfigureAwait(false);
                await SignOnceAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        // the drain's last commits are signed now, not at a tick that never comes; bounded, as the store may be
        // down, but on its own wall-clock bound (a host's FakeTimeProvider would never fire it): the host's may
        // already be spent by a slow web stop, and these heads are held in memory only, so a pass cut short
        // here leaves them unsigned for good. A periodic pass still running is let finish first.
        if (ExecuteTask is { } running)
        {
            using var waiting = new CancellationTokenSource(LastPassBound);
            await running.WaitAsync(waiting.Token).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
        using var bound = new CancellationTokenSource(LastPassBound);
        await SignOnceAsync(bound.Token).ConfigureAwait(false);
    }

    private async Task SignOnceAsync(CancellationToken ct)
    {
        var key = keys.Current;
        try
        {
            var pass = await ChainCheckpoints.SignAsync(db, key, heads, ct).ConfigureAwait(false);
            HostLog.HeadsSigned(log, pass.Signed, key.Id);
            foreach (var stream in pass.Refused)
            {
                HostLog.HeadNotOurs(log, stream);
            }
            if (pass.Anchor is { } a)
            {
                // the operator's log is the outside witness of the newest anchor, which the store alone cannot vouch for
                HostLog.StoreAnchored(log, a.Events, a.MaxSeq, a.SignaturePrefix);
            }
        }
        catch (NpgsqlException e)
        {
            HostLog.SigningFailed(log, e.Message);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            HostLog.SigningCutShort(log);
        }
        catch (Exception e)
        {
            // a fault here must not end the host (and with it the recording) as a BackgroundService's would
            HostLog.SigningFailed(log, e.Message);
        }
    }
}
