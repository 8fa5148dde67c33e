using System.Security.Cryptography;
using System.Text;
using ComplianceRecorder.EventStore.Schema;
using Npgsql;

namespace ComplianceRecorder.Tests.EventStore;

/// <summary>
/// The current-state files (001_schema.sql and one file per function) make the very schema the earlier
/// migrations 001–007 made, kept verbatim in LegacyMigrations/ as test data: every store those made is
/// adopted on that promise.
/// </summary>
public sealed class SchemaEquivalenceTests
{
    /// <summary>The migrator's own record of function files, which the earlier layout did not have.</summary>
    private const string FunctionsRecord = "schema_functions";

    /// <summary>The earlier layout's files, exactly as stores were migrated with them.</summary>
    internal static IReadOnlyList<(int Version, string Name, string Sql)> EarlierFiles()
    {
        var asm = typeof(SchemaEquivalenceTests).Assembly;
        return
        [
            .. asm.GetManifestResourceNames().Where(n => n.StartsWith("legacy-migrations/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Select(n =>
            {
                using var r = new StreamReader(asm.GetManifestResourceStream(n)!, Encoding.UTF8);
                var name = n["legacy-migrations/".Length..];
                return (int.Parse(name[..3], System.Globalization.CultureInfo.InvariantCulture), name, r.ReadToEnd());
            }),
        ];
    }

    /// <summary>A fresh database migrated with the earlier layout's files, as every existing store was.</summary>
    internal static async Task<string> EarlierStoreAsync(int upTo = 7)
    {
        var (_, _, owner) = await StoreConnectionsTests.FreshDatabaseAsync();
        await using var db = NpgsqlDataSource.Create(owner);
        await Migrator.MigrateAsync(db, [.. EarlierFiles().Where(m => m.Version <= upTo)]);
        return owner;
    }

    internal static async Task<string> CurrentStoreAsync(MigrationSet? set = null)
    {
        var (_, _, owner) = await StoreConnectionsTests.FreshDatabaseAsync();
        await using var db = NpgsqlDataSource.Create(owner);
        await Migrator.MigrateAsync(db, set ?? Migrator.Embedded());
        return owner;
    }

    /// <summary>
    /// The baseline alone: 001_schema.sql and the function files the earlier layout had. Later numbered files
    /// (and the functions that came with them) are applied on top of an adopted store like any migration.
    /// </summary>
    internal static MigrationSet Baseline()
    {
        var set = Migrator.Embedded();
        var earlier = EarlierFiles();
        return set with
        {
            Versioned = [.. set.Versioned.Where(v => v.Version == 1)],
            Functions = [.. set.Functions.Where(f => earlier.Any(e => e.Sql.Contains("FUNCTION " + f.Name["functions/".Length..^".sql".Length] + "(", StringComparison.Ordinal)))],
        };
    }

    /// <summary>The versioned files after the baseline, which adopting a store of the earlier layout applies.</summary>
    internal static IReadOnlyList<string> LaterVersioned() => [.. Migrator.Embedded().Versioned.Where(v => v.Version > 1).Select(v => v.Name)];

    /// <summary>This build's files with one function file's text changed as <paramref name="change"/> says.</summary>
    internal static MigrationSet WithFunction(string name, Func<string, string> change)
    {
        var set = Migrator.Embedded();
        Assert.Contains(set.Functions, f => f.Name == name);
        return set with { Functions = [.. set.Functions.Select(f => f.Name == name ? (f.Name, change(f.Sql)) : f)] };
    }

    [Fact]
    public async Task The_current_state_files_make_the_schema_the_earlier_migrations_made()
    {
        var earlier = await SchemaSnapshot.TakeAsync(await EarlierStoreAsync(), FunctionsRecord);
        var current = await SchemaSnapshot.TakeAsync(await CurrentStoreAsync(Baseline()), FunctionsRecord);

        Assert.Contains(current, l => l.StartsWith("function append_events(", StringComparison.Ordinal) && l.Contains("security_definer=true", StringComparison.Ordinal));
        Assert.Contains(current, l => l.StartsWith("trigger CREATE TRIGGER events_no_truncate", StringComparison.Ordinal));
        var differences = SchemaSnapshot.Differences(Unchanged(earlier), "001-007", Unchanged(current), "current-state files");
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    /// <summary>
    /// Function files changed since the earlier layout (a new line in CHECKSUMS): their current body is not the one
    /// that layout left, by design; adopting a store upgrades them as any shipped version.
    /// </summary>
    private static readonly string[] ChangedSinceEarlierLayout = ["append_events"];

    private static List<string> Unchanged(IReadOnlyList<string> snapshot) =>
        [.. snapshot.Where(l => !ChangedSinceEarlierLayout.Any(f => l.StartsWith($"function {f}(", StringComparison.Ordinal) || l.StartsWith($"grant on function {f}(", StringComparison.Ordinal)))];

    [Fact]
    public async Task A_function_body_one_character_apart_is_a_difference_the_comparison_names()
    {
        var current = await SchemaSnapshot.TakeAsync(await CurrentStoreAsync());
        var changed = await SchemaSnapshot.TakeAsync(await CurrentStoreAsync(WithFunction("functions/sign_anchor.sql",
            sql => sql.Replace("-- counted from the last anchor on", "-- counted from the last anchor on!", StringComparison.Ordinal))));

        var differences = SchemaSnapshot.Differences(current, "as built", changed, "changed");

        Assert.Equal(2, differences.Count);
        Assert.All(differences, d => Assert.Contains(": function sign_anchor(", d, StringComparison.Ordinal));
    }

    [Fact]
    public void The_checksums_the_migrator_knows_the_earlier_layout_by_are_those_of_its_files()
    {
        var files = EarlierFiles();

        Assert.Equal(
            EarlierLayout.History.Select(h => $"{h.Version} {h.Name} {h.Sha256}"),
            files.Select(f => $"{f.Version} {f.Name} {Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(f.Sql)))}"));
    }
}
