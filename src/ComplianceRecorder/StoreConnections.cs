using ComplianceRecorder.Development;
using ComplianceRecorder.EventStore.Provisioning;
using ComplianceRecorder.EventStore.Schema;
using Npgsql;

namespace ComplianceRecorder;

/// <summary>
/// The two ways into the store: the recorder's login (ConnectionStrings:EventStore: reads, appends
/// through the store's functions) and the owner's (ConnectionStrings:EventStoreOwner: migrations and
/// rebuilds). For the private cluster both are derived.
/// </summary>
public sealed record StoreConnections(string Recorder, string? Owner, LocalPostgres? Local)
{
    public const string OwnerKey = "ConnectionStrings:EventStoreOwner";

    public const string RecorderKey = "ConnectionStrings:EventStore";

    /// <summary>The connections configuration names; the recorder's login is required.</summary>
    public static StoreConnections From(Microsoft.Extensions.Configuration.IConfiguration config)
    {
        var recorder = config[RecorderKey] is { Length: > 0 } r ? r
            : throw new SettingsException($"{RecorderKey} is empty: set the recorder's login (the role {RecorderRole.Name}), and {OwnerKey} for migrations");
        return new StoreConnections(recorder, config[OwnerKey] is { Length: > 0 } o ? o : null, null);
    }

    /// <summary>
    /// Applies pending migrations as the owner. Without the owner's connection nothing is applied; a
    /// schema that is up to date is used as it is, and one that is behind fails the start naming the key.
    /// </summary>
    public async Task MigrateAsync(NpgsqlDataSource recorder, TextWriter output)
    {
        var applied = await MigrateAsync(recorder).ConfigureAwait(false);
        if (applied.Count > 0)
        {
            await output.WriteLineAsync("migrations applied: " + string.Join(", ", applied)).ConfigureAwait(false);
        }
    }

    /// <returns>The migrations applied now.</returns>
    public async Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource recorder)
    {
        IReadOnlyList<string> applied = [];
        if (Owner is null)
        {
            var pending = await Migrator.PendingAsync(recorder).ConfigureAwait(false);
            if (pending.Count > 0)
            {
                throw new SettingsException(
                    $"the schema lacks {string.Join(", ", pending)}; set {OwnerKey} (a role that owns the schema) so they are applied, or run `migrate` with it");
            }
        }
        else
        {
            await using var owner = NpgsqlDataSource.Create(Owner);
            applied = await Migrator.MigrateAsync(owner).ConfigureAwait(false);
        }
        await RequireRestrictedAsync(recorder).ConfigureAwait(false);
        return applied;
    }

    /// <summary>
    /// Refuses a recorder's login that could write the record other than through the store's functions:
    /// append-only would then rest on the recorder's good behaviour alone.
    /// </summary>
    public static async Task RequireRestrictedAsync(NpgsqlDataSource recorder)
    {
        var excess = await RecorderRole.ExcessPrivilegesAsync(recorder).ConfigureAwait(false);
        if (excess.Count > 0)
        {
            throw new SettingsException(
                $"{RecorderKey} logs in as a role that {string.Join("; ", excess)}: it must log in as {RecorderRole.Name} (or a login granted only that role); the owner's connection belongs in {OwnerKey}");
        }
    }

    /// <summary>The owner's connection, for verbs that need it.</summary>
    public string RequireOwner(string verb) =>
        Owner ?? throw new SettingsException($"`{verb}` runs as the schema's owner: set {OwnerKey}");
}
