using System.Runtime.InteropServices;

namespace ComplianceRecorder;

/// <summary>Ctrl+C and SIGTERM cancel <paramref name="stop"/> instead of ending the process, so a verb can drain first.</summary>
internal sealed class StopSignals(CancellationTokenSource stop) : IDisposable
{
    private readonly PosixSignalRegistration _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => Stop(ctx, stop));
    private readonly PosixSignalRegistration _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => Stop(ctx, stop));

    private static void Stop(PosixSignalContext ctx, CancellationTokenSource stop)
    {
        ctx.Cancel = true;
        stop.Cancel();
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
    }
}
