using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Genesys.Notifications;

/// <summary>
/// Calls on a channel silent past <see cref="GenesysOptions.CallSilence"/> are finished and left: their
/// end was lost, and a call followed forever would hold its channel's room.
/// </summary>
internal sealed class SilenceWatch(GenesysOptions options, TimeProvider time, ChannelPlacement placement)
{
    public async Task WatchAsync(NotificationChannel channel, SourceEmitter observer, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(options.CallSilence / 4, time, ct).ConfigureAwait(false);
                foreach (var call in channel.Calls.Keys)
                {
                    if (placement.SilentFor(call, options.CallSilence))
                    {
                        await placement.FinishAsync(new CallFinished(call, $"nothing heard for {options.CallSilence.TotalSeconds:F0} s: the call's end was not heard", time.GetUtcNow()), channel, observer, ct).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
