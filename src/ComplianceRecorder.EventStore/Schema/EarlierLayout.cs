namespace ComplianceRecorder.EventStore.Schema;

/// <summary>
/// The migrations before the current-state layout: 001_events.sql … 007_integrity.sql, each redefining what
/// an earlier one made. Every store they made holds exactly the schema 001_schema.sql and functions/ make
/// (SchemaEquivalenceTests), so the migrator adopts such a store without running table DDL: it records
/// this build's baseline, then applies every function file once. Never edit these figures.
/// </summary>
internal static class EarlierLayout
{
    public static readonly IReadOnlyList<(int Version, string Name, string Sha256)> History =
    [
        (1, "001_events.sql", "ae4f3e96dd30192849086fd7e0085a0efe197616488d1691bef4c413f4fb35c6"),
        (2, "002_audit_projection.sql", "6b795c867d0e3f923d0d66cb6b424fc439e210097e8745a13a1320392e733d00"),
        (3, "003_metrics_projection.sql", "d0a1295a755036985f6ea7179e5a8809098fce6a64cb4011b8f2e3016f8875b5"),
        (4, "004_set_based_append.sql", "bca5f5259c8232e964ce632c4711d832067e9da625c55727011da2202175f345"),
        (5, "005_append_refusals.sql", "92c4f86dbad12fb9fd4668d9107ed5fc8a3ccf5d9cf57a8f18dba28bd8242298"),
        (6, "006_roles_and_checkpoints.sql", "7ff105dbb50741f820d741a39d3777d14f81c78279523cabed04eadc1195163c"),
        (7, "007_integrity.sql", "80d33956ee38534fd4a35815ba4bce24747314f3d612b4744293c28a7a27e74e"),
    ];

    /// <summary>
    /// The checksums of the function files whose definitions equal what 007 left. The recorder's login alone
    /// runs on such a store as these say; adoption records none of them (it applies every function file once,
    /// as the store's functions may have been changed by hand since), and migrations/functions/CHECKSUMS ships
    /// them as each file's first version.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Functions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["functions/append_events.sql"] = "bfa478728871c80af73bd6fb9f99fab017e7ada37e19ca2175a7eb88aef07c99",
        ["functions/event_canonical.sql"] = "f7fed47ac8c77e285132947b8c8c9d6a5b7a3cddf51b3d6214daf963030eec1d",
        ["functions/project_metrics.sql"] = "b598229f54d3c1c11e5a64b265efb70ee32ccc90bb5e6a8063f9b7a8ae9508af",
        ["functions/project_metrics_batch.sql"] = "f66b319f3dbab36e344de758338831646e8ebfb5cca316a4a25b3f2b48119170",
        ["functions/sign_anchor.sql"] = "4960ccc33a783626fa675d9741ec796cdc6e85b0fe4eb04b40a526fcb43078d6",
        ["functions/sign_checkpoint.sql"] = "3ae9eaf8f3327fffe3e9f22f235442cc208f26d7241803de4494e2343ba4e534",
        ["functions/summarize_calls.sql"] = "055ca778ed4e325226f8fc3de4239f3cf30aa2b91fa33b7f85547538a31baedb",
    };

    /// <summary>The earlier layout's history, being migrated by a build of the current layout (not by the earlier files themselves).</summary>
    public static bool IsAdoptable(IReadOnlyDictionary<int, (string Name, string Sha256)> applied, MigrationSet set) =>
        applied.TryGetValue(1, out var first) && first.Name == History[0].Name
        && !set.Versioned.Any(m => m.Version == 1 && m.Name == History[0].Name);

    /// <summary>Only the whole earlier history, unedited, is known to hold this build's baseline schema.</summary>
    public static void RequireComplete(IReadOnlyDictionary<int, (string Name, string Sha256)> applied)
    {
        if (applied.Keys.FirstOrDefault(v => !History.Any(h => h.Version == v)) is var unknown and > 0)
        {
            throw new MigrationException($"this store has migration {unknown:000} applied, which this build does not know: run the build that applied it, or a newer one");
        }
        foreach (var (version, name, sha) in History)
        {
            if (!applied.TryGetValue(version, out var row))
            {
                throw new MigrationException(
                    $"this store has the earlier migrations only up to {applied.Keys.Max():000} ({name} is not applied): migrate it with a build from before the current-state layout (through 007_integrity.sql), then with this one");
            }
            if (row.Sha256 != sha)
            {
                throw new MigrationException($"migration {name} was changed after it was applied to this store (its sha256 differs from the one this build knows); restore it");
            }
        }
    }
}
