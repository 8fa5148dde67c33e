using System.Collections.Concurrent;

namespace ComplianceRecorder.Emulator.AudioHook;

/// <summary>
/// The scenario's calls as Genesys' AudioHook client plays them against a recorder: each call its own
/// session at its start time (scaled by the speed), again and again when looping (new call ids each round).
/// </summary>
public sealed class AudioHookPlayer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _play;

    private AudioHookPlayer(Uri server, AudioHookCredentials credentials, Scenario scenario, double speed, bool loop, Func<ScriptedCall, AudioHookFaults?>? faults)
    {
        _play = Task.Run(() => PlayAsync(server, credentials, scenario, speed, loop, faults ?? (_ => null), _stop.Token));
    }

    /// <summary>Each session's outcome, with its call id, as it ends.</summary>
    public ConcurrentQueue<(string Call, AudioHookOutcome Outcome)> Outcomes { get; } = new();

    /// <summary>Sessions that failed on the client's side (the recorder unreachable, say), by message.</summary>
    public ConcurrentQueue<string> Failures { get; } = new();

    public static AudioHookPlayer Start(Uri server, AudioHookCredentials credentials, Scenario scenario, double speed, bool loop, Func<ScriptedCall, AudioHookFaults?>? faults = null) =>
        new(server, credentials, scenario, speed, loop, faults);

    /// <summary>Completes when every call of a scenario played once has ended.</summary>
    public Task Completion => _play;

    private async Task PlayAsync(Uri server, AudioHookCredentials credentials, Scenario scenario, double speed, bool loop, Func<ScriptedCall, AudioHookFaults?> faults, CancellationToken ct)
    {
        var round = 0;
        do
        {
            var first = round++ == 0;
            await Task.WhenAll(scenario.Calls.Select(async c =>
            {
                var call = first ? c : c with { ConversationId = Guid.NewGuid().ToString() };
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(c.StartMs / speed), ct).ConfigureAwait(false);
                    Outcomes.Enqueue((call.ConversationId, await AudioHookClient.PlayAsync(server, credentials, call, speed, faults(call), ct: ct).ConfigureAwait(false)));
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // stopping
                }
                catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or HttpRequestException or InvalidOperationException or IOException)
                {
                    Failures.Enqueue($"{call.ConversationId}: {e.GetType().Name}: {e.Message}");
                }
            })).ConfigureAwait(false);
        }
        while (loop && !ct.IsCancellationRequested);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _play.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
        _stop.Dispose();
    }
}
