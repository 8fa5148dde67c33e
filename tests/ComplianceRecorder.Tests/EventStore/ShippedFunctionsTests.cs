using ComplianceRecorder.EventStore.Schema;

namespace ComplianceRecorder.Tests.EventStore;

/// <summary>
/// A build upgrades a store's function only from a version it knows was shipped (migrations/functions/CHECKSUMS);
/// these keep that list complete, so the build after this one can upgrade what this one applies.
/// </summary>
public sealed class ShippedFunctionsTests
{
    [Fact]
    public void Every_function_files_current_version_is_in_CHECKSUMS()
    {
        var set = Migrator.Embedded();

        var missing = set.Functions
            .Select(f => (f.Name, Sha256: Migrator.Checksum(f.Sql)))
            .Where(f => !(set.Shipped.TryGetValue(f.Name, out var shipped) && shipped.Contains(f.Sha256)))
            .Select(f => $"{f.Sha256}  {f.Name}")
            .ToList();

        Assert.True(missing.Count == 0,
            "a function file changed: add these lines to migrations/functions/CHECKSUMS below the file's earlier ones, and remove none "
            + "(they are how the next build knows a store holding this version may be upgraded):\n" + string.Join("\n", missing));
    }

    [Fact]
    public void The_functions_the_earlier_layout_left_are_shipped_versions()
    {
        var shipped = Migrator.Embedded().Shipped;

        Assert.All(EarlierLayout.Functions, f => Assert.True(shipped.TryGetValue(f.Key, out var versions) && versions.Contains(f.Value), $"{f.Value}  {f.Key} is not in CHECKSUMS"));
    }

    [Theory]
    [InlineData("bfa4  functions/a.sql")]
    [InlineData("bfa478728871c80af73bd6fb9f99fab017e7ada37e19ca2175a7eb88aef07c99 a.sql")]
    public void A_malformed_CHECKSUMS_line_is_named(string line)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Migrator.ReadShipped("# comment\n" + line + "\n"));

        Assert.Contains(line, e.Message, StringComparison.Ordinal);
    }
}
