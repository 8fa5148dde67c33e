using ComplianceRecorder.EventStore.Encryption;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ComplianceRecorder.Hosting;

/// <summary>
/// First to start: brings the schema up to date as its owner (or refuses a schema that is behind when no
/// owner's connection is set) and refuses a recorder's login that could write other than through the
/// store's functions. Nothing else starts on a store it cannot trust.
/// </summary>
internal sealed class StoreSchema(
    StoreConnections connections, [FromKeyedServices(ComplianceRecorderServices.Key)] NpgsqlDataSource db, IMasterKeyProvider master, ILogger<StoreSchema> log)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var applied = await connections.MigrateAsync(db).ConfigureAwait(false);
        if (applied.Count > 0)
        {
            HostLog.MigrationsApplied(log, string.Join(", ", applied));
        }
        // the ids name the keys, never reveal them
        if (await DataKeys.UnopenableMastersAsync(db, master, cancellationToken).ConfigureAwait(false) is { Count: > 0 } unopenable)
        {
            throw new SettingsException(
                $"{MasterKeySettings.Key}: the store's data keys are wrapped by master key(s) {string.Join(", ", unopenable)}, which neither "
                + $"{MasterKeySettings.Key} (or {MasterKeySettings.KeyFile}) nor Recorder:RetiredMasterKeys opens; without it calls could not be resumed, backfilled or read");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
