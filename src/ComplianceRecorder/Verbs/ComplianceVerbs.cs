using System.Text.Json;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.EventStore.Encryption;
using ComplianceRecorder.EventStore.Retention;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Pipeline.Events;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace ComplianceRecorder.Verbs;

/// <summary>
/// <c>retention</c>, <c>hold</c>, <c>erase</c>, <c>tag-customer</c> and <c>rotate-master-key</c>: each
/// acts on the configured store (or the private cluster) as the OS user, records what it did as events
/// (and each use as an access event), and signs the heads it appended, as no recorder may be running to.
/// </summary>
internal static class ComplianceVerbs
{
    /// <summary>The store refused what was asked (a shortening, an unknown call or hold): the message says why.</summary>
    public const int Refused = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Task<int> RetentionRunAsync(IConfiguration config) => WithStoreAsync(config, "retention run", "", async (store, who, now) =>
    {
        var result = await RetentionRun.ApplyAsync(store, now).ConfigureAwait(false);
        Console.WriteLine($"expired: {result.Expired.Count} call(s), held back by a legal hold: {result.HeldBack.Count}"
            + (result.UnderDefaultForUnknownQueue > 0 ? $"; {result.UnderDefaultForUnknownQueue} expired call(s) name no queue in their events, so the default policy applied" : ""));
        Print(result);
        return 0;
    });

    public static Task<int> RetentionSetAsync(IConfiguration config, string? queue, int days) => WithStoreAsync(config, "retention set", $"queue={queue ?? "(default)"} days={days}", async (store, who, now) =>
    {
        Print(await RetentionPolicies.SetAsync(store, queue, days, who, now).ConfigureAwait(false));
        return 0;
    });

    public static Task<int> RetentionShowAsync(IConfiguration config) => WithStoreAsync(config, "retention show", "", async (store, _, _) =>
    {
        Print(await RetentionPolicies.ListAsync(store.DataSource).ConfigureAwait(false));
        return 0;
    });

    public static Task<int> HoldPlaceAsync(IConfiguration config, string scope, string target, string reason) => WithStoreAsync(config, "hold place", $"{scope}={target}", async (store, who, now) =>
    {
        Print(await LegalHolds.PlaceAsync(store, scope, target, reason, who, now).ConfigureAwait(false));
        return 0;
    });

    public static Task<int> HoldLiftAsync(IConfiguration config, string holdId, string reason) => WithStoreAsync(config, "hold lift", holdId, async (store, who, now) =>
    {
        await LegalHolds.LiftAsync(store, holdId, reason, who, now).ConfigureAwait(false);
        Console.WriteLine($"lifted {holdId}");
        return 0;
    });

    public static Task<int> HoldListAsync(IConfiguration config) => WithStoreAsync(config, "hold list", "", async (store, _, _) =>
    {
        Print(await LegalHolds.ListAsync(store.DataSource).ConfigureAwait(false));
        return 0;
    });

    public static Task<int> EraseAsync(IConfiguration config, string? call, string? customer, string why, string ticket) =>
        WithStoreAsync(config, "erase", $"{(call is null ? "customer" : "call=" + call)} ticket={ticket}", async (store, who, now) =>
        {
            var result = await Erasure.EraseAsync(store, new ErasureRequest(call, customer, why, ticket, who), now).ConfigureAwait(false);
            Console.WriteLine($"erased: {result.Erased.Count} call(s), held back by a legal hold: {result.HeldBack.Count}, erased before: {result.AlreadyGone.Count}");
            Print(result);
            return 0;
        });

    public static Task<int> TagCustomerAsync(IConfiguration config, string call, string customer) => WithStoreAsync(config, "tag-customer", "call=" + call, async (store, who, now) =>
    {
        await Erasure.TagAsync(store, call, customer, who, now).ConfigureAwait(false);
        Console.WriteLine($"tagged {call}");
        return 0;
    });

    public static Task<int> RotateMasterKeyAsync(IConfiguration config) => WithStoreAsync(config, "rotate-master-key", "", async (store, _, _, connections) =>
    {
        // the recorder's login may not re-wrap: it could overwrite a live key with bytes that open nothing
        if (connections.Owner is not { } owner)
        {
            throw new SettingsException($"rotate-master-key re-wraps data keys as the schema's owner: set {StoreConnections.OwnerKey}");
        }
        var master = store.Keys!.Master;
        await using var ownerDb = NpgsqlDataSource.Create(owner);
        var n = await DataKeys.RewrapAsync(ownerDb, master).ConfigureAwait(false);
        // a recorder still running with an older master as its current one goes on wrapping new keys with it
        await using var left = ownerDb.CreateCommand("SELECT count(*) FROM data_keys WHERE wrapped IS NOT NULL AND master_key_id <> $1");
        left.Parameters.AddWithValue(master.CurrentKeyId);
        var still = (long)(await left.ExecuteScalarAsync().ConfigureAwait(false))!;
        Console.WriteLine(still == 0
            ? $"re-wrapped {n} data key(s) with master key {master.CurrentKeyId}; no key is wrapped by another master, so the retired master keys may now be removed from the configuration"
            : $"re-wrapped {n} data key(s) with master key {master.CurrentKeyId}; {still} key(s) are still wrapped by another master (a recorder running with an older key made them): keep the retired keys, and run this again once every recorder uses the new one");
        return still == 0 ? 0 : Refused;
    });

    private static void Print<T>(T value) => Console.WriteLine(JsonSerializer.Serialize(value, Json));

    private static Task<int> WithStoreAsync(IConfiguration config, string what, string query, Func<EventStore.Appending.EventStore, string, DateTimeOffset, Task<int>> act) =>
        WithStoreAsync(config, what, query, (store, who, now, _) => act(store, who, now));

    private static async Task<int> WithStoreAsync(IConfiguration config, string what, string query,
        Func<EventStore.Appending.EventStore, string, DateTimeOffset, StoreConnections, Task<int>> act)
    {
        var store = await Settings.EventStoreAsync(config, quiet: true).ConfigureAwait(false);
        var local = store.Local;
        try
        {
            // the private cluster keeps its master key beside it, as the demo does; any other store must name one
            var master = MasterKeySettings.From(local is not null && !MasterKeySettings.Configured(config)
                ? new ConfigurationBuilder().AddConfiguration(config).AddInMemoryCollection([new(MasterKeySettings.KeyFile, MasterKeySettings.DevelopmentKeyFile())]).Build()
                : config);
            await using var db = NpgsqlDataSource.Create(store.Recorder);
            await store.MigrateAsync(db, Console.Error).ConfigureAwait(false);
            var who = $"cli:{Environment.UserName}@{Environment.MachineName}";
            var heads = new AppendedHeads();
            var events = new EventStore.Appending.EventStore(db, who, heads, new DataKeys(db, master));
            var now = DateTimeOffset.UtcNow;
            await events.AppendAsync([new PendingEvent(new ReportAccessed(who, what, query, now))]).ConfigureAwait(false);
            try
            {
                return await act(events, who, now, store).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ArgumentException or RetentionShorteningRefusedException)
            {
                await Console.Error.WriteLineAsync("refused: " + e.Message).ConfigureAwait(false);
                return Refused;
            }
            finally
            {
                // signed here, whatever the verb's outcome, as no recorder may be running to sign what it appended
                // (the access first of all): an unsigned event would read as tampering
                await ChainCheckpoints.SignAsync(db, Settings.CheckpointKeys(config).Current, heads).ConfigureAwait(false);
            }
        }
        finally
        {
            if (local is not null)
            {
                await local.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
