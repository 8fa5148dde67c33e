using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace ComplianceRecorder.EventStore.Schema;

/// <summary>The schema's applied migrations are not what this build carries: nothing is applied, the start fails.</summary>
public sealed class MigrationException(string message) : Exception(message);

/// <summary>
/// What a build carries: versioned files (tables, views, triggers, privileges), each applied once and never
/// edited after; and function files, one <c>CREATE OR REPLACE</c> each, applied after them in name order and
/// again when a store holds an earlier version of it. <paramref name="Shipped"/> holds, per function file, the
/// checksum of every version of it the project has shipped (migrations/functions/CHECKSUMS): a store holding
/// one of them may be upgraded; one holding any other was migrated by a build this one does not know.
/// </summary>
public sealed record MigrationSet(
    IReadOnlyList<(int Version, string Name, string Sql)> Versioned,
    IReadOnlyList<(string Name, string Sql)> Functions,
    IReadOnlyDictionary<string, IReadOnlySet<string>> Shipped)
{
    public MigrationSet(IReadOnlyList<(int Version, string Name, string Sql)> versioned, IReadOnlyList<(string Name, string Sql)> functions)
        : this(versioned, functions, new Dictionary<string, IReadOnlySet<string>>())
    {
    }
}

/// <summary>
/// Applies the SQL files in migrations/ (embedded in this assembly): each pending versioned file in its own
/// transaction, so a failing one leaves the schema as it was, then every new or upgraded function file in one.
/// A store made by the earlier layout (001_events.sql … 007_integrity.sql) is adopted, not migrated again.
/// </summary>
public static class Migrator
{
    private const long LockKey = 727273;
    private const string FunctionsFolder = "functions/";
    private const string ShippedChecksums = "migrations/functions/CHECKSUMS";

    public static MigrationSet Embedded()
    {
        var asm = typeof(Migrator).Assembly;
        var versioned = new List<(int, string, string)>();
        var functions = new List<(string, string)>();
        foreach (var resource in asm.GetManifestResourceNames().Where(n => n.StartsWith("migrations/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var name = resource["migrations/".Length..];
            var sql = Resource(resource);
            if (name.StartsWith(FunctionsFolder, StringComparison.Ordinal))
            {
                functions.Add((name, sql));
            }
            else
            {
                versioned.Add((int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), CultureInfo.InvariantCulture), name, sql));
            }
        }
        return new MigrationSet(versioned, functions, ReadShipped(Resource(ShippedChecksums)));
    }

    private static string Resource(string name)
    {
        using var s = typeof(Migrator).Assembly.GetManifestResourceStream(name)!;
        using var r = new StreamReader(s, Encoding.UTF8);
        return r.ReadToEnd();
    }

    /// <summary>Reads CHECKSUMS: <c>sha256  functions/name.sql</c> lines, as sha256sum prints them; '#' starts a comment line.</summary>
    internal static IReadOnlyDictionary<string, IReadOnlySet<string>> ReadShipped(string checksums)
    {
        var shipped = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var line in checksums.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 2 || fields[0].Length != 64 || !fields[1].StartsWith(FunctionsFolder, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{ShippedChecksums}: \"{line}\" is not a line `sha256  functions/name.sql`");
            }
            if (!shipped.TryGetValue(fields[1], out var versions))
            {
                shipped[fields[1]] = versions = new(StringComparer.Ordinal);
            }
            versions.Add(fields[0]);
        }
        return shipped.ToDictionary(s => s.Key, IReadOnlySet<string> (s) => s.Value, StringComparer.Ordinal);
    }

    /// <summary>Migrations not yet applied, read with any role that may see schema_migrations and schema_functions.</summary>
    public static Task<IReadOnlyList<string>> PendingAsync(NpgsqlDataSource db, CancellationToken ct = default) => PendingAsync(db, Embedded(), ct);

    public static async Task<IReadOnlyList<string>> PendingAsync(NpgsqlDataSource db, MigrationSet set, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        // no schema yet, or one from before the recorder's role could read these tables: all to do
        var applied = await ReadOrEmptyAsync(() => AppliedAsync(conn, null, ct)).ConfigureAwait(false);
        var functions = await ReadOrEmptyAsync(() => FunctionsAppliedAsync(conn, null, ct)).ConfigureAwait(false);
        var (versions, current) = Effective(applied, functions, set);
        RequireConsistent(versions, set.Versioned);
        return
        [
            .. set.Versioned.Where(m => !versions.ContainsKey(m.Version)).Select(m => m.Name),
            .. Due(current, set).Select(f => f.Name),
        ];
    }

    private static async Task<Dictionary<TKey, TValue>> ReadOrEmptyAsync<TKey, TValue>(Func<Task<Dictionary<TKey, TValue>>> read)
        where TKey : notnull
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InsufficientPrivilege)
        {
            return new();
        }
    }

    private static async Task<Dictionary<int, (string Name, string Sha256)>> AppliedAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var applied = new Dictionary<int, (string, string)>();
        await using var cmd = new NpgsqlCommand("SELECT version, name, sha256 FROM schema_migrations", conn, tx);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            applied[r.GetInt32(0)] = (r.GetString(1), r.GetString(2));
        }
        return applied;
    }

    private static async Task<Dictionary<string, string>> FunctionsAppliedAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var applied = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var cmd = new NpgsqlCommand("SELECT name, sha256 FROM schema_functions", conn, tx);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            applied[r.GetString(0)] = r.GetString(1);
        }
        return applied;
    }

    /// <summary>
    /// The applied history as this build reads it: a store of the earlier layout counts as having this
    /// build's baseline applied, with the function files that layout left in effect.
    /// </summary>
    private static (Dictionary<int, string> Versions, IReadOnlyDictionary<string, string> Functions) Effective(
        Dictionary<int, (string Name, string Sha256)> applied, Dictionary<string, string> functions, MigrationSet set)
    {
        if (!EarlierLayout.IsAdoptable(applied, set))
        {
            return (applied.ToDictionary(a => a.Key, a => a.Value.Sha256), functions);
        }
        EarlierLayout.RequireComplete(applied);
        return (new Dictionary<int, string> { [1] = Checksum(Baseline(set).Sql) }, EarlierLayout.Functions);
    }

    private static (int Version, string Name, string Sql) Baseline(MigrationSet set) =>
        set.Versioned.FirstOrDefault(m => m.Version == 1) is { Name: not null } first
            ? first
            : throw new MigrationException("this build carries no 001 migration to adopt the earlier layout's store with");

    internal static string Checksum(string sql) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));

    /// <summary>
    /// The function files to apply: those the store lacks, and those it holds an earlier shipped version of.
    /// A version this build does not know came from a newer build (or a hand): applying this one's would
    /// downgrade it, and the newer build would restore its own at its next start, back and forth.
    /// </summary>
    private static List<(string Name, string Sql)> Due(IReadOnlyDictionary<string, string> recorded, MigrationSet set)
    {
        var due = new List<(string, string)>();
        foreach (var (name, sql) in set.Functions)
        {
            var stored = recorded.GetValueOrDefault(name);
            if (stored == Checksum(sql))
            {
                continue;
            }
            if (stored is not null && !(set.Shipped.TryGetValue(name, out var earlier) && earlier.Contains(stored)))
            {
                throw new MigrationException($"{name} in this store was applied by a build this one does not know (a newer one?): run that build or a newer one");
            }
            due.Add((name, sql));
        }
        return due;
    }

    /// <summary>
    /// An applied migration edited since, or a new one numbered below one already applied, would leave
    /// this store's schema different from a fresh one's without anyone being told.
    /// </summary>
    private static void RequireConsistent(Dictionary<int, string> applied, IReadOnlyList<(int Version, string Name, string Sql)> migrations)
    {
        var highest = applied.Count == 0 ? 0 : applied.Keys.Max();
        if (applied.Keys.FirstOrDefault(v => !migrations.Any(m => m.Version == v)) is var unknown and > 0)
        {
            // a newer build migrated this store: this one's append_events may not be the one the store now has
            throw new MigrationException($"this store has migration {unknown:000} applied, which this build does not know: run the build that applied it, or a newer one");
        }
        foreach (var (version, name, sql) in migrations)
        {
            if (applied.TryGetValue(version, out var sha))
            {
                if (sha != Checksum(sql))
                {
                    throw new MigrationException($"migration {name} was changed after it was applied to this store (its sha256 differs from schema_migrations); restore it and put the change in a new migration");
                }
            }
            else if (version < highest)
            {
                throw new MigrationException($"migration {name} is not applied but numbered below {highest}, which is: renumber it above {highest}");
            }
        }
    }

    /// <returns>The names of the migrations applied now.</returns>
    public static Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource db, CancellationToken ct = default) =>
        MigrateAsync(db, Embedded(), ct);

    /// <summary>Versioned files only, no function files.</summary>
    public static Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource db, IReadOnlyList<(int Version, string Name, string Sql)> migrations, CancellationToken ct = default) =>
        MigrateAsync(db, new MigrationSet(migrations, []), ct);

    public static async Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource db, MigrationSet set, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        var applied = new List<string>();
        // several processes may start at once; each step takes the lock, and one applies while the others then find it done
        await using (var tx = await LockedAsync(conn, ct).ConfigureAwait(false))
        {
            await ExecuteAsync(conn, tx, """
                CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
                CREATE TABLE IF NOT EXISTS schema_functions (name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
                """, ct).ConfigureAwait(false);
            var history = await AppliedAsync(conn, tx, ct).ConfigureAwait(false);
            var (versions, functions) = Effective(history, await FunctionsAppliedAsync(conn, tx, ct).ConfigureAwait(false), set);
            RequireConsistent(versions, set.Versioned);
            // before any versioned file: an older build must not apply its own to a newer build's store
            Due(functions, set);
            if (EarlierLayout.IsAdoptable(history, set))
            {
                applied.Add(await AdoptAsync(conn, tx, Baseline(set), ct).ConfigureAwait(false));
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        foreach (var (version, name, sql) in set.Versioned)
        {
            await using var tx = await LockedAsync(conn, ct).ConfigureAwait(false);
            await using (var check = new NpgsqlCommand("SELECT 1 FROM schema_migrations WHERE version = $1", conn, tx))
            {
                check.Parameters.AddWithValue(version);
                if (await check.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null)
                {
                    await tx.RollbackAsync(ct).ConfigureAwait(false);
                    continue;
                }
            }
            await ExecuteAsync(conn, tx, sql, ct).ConfigureAwait(false);
            await ExecuteAsync(conn, tx, "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)", ct, version, name, Checksum(sql)).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            applied.Add(name);
        }
        if (set.Functions.Count > 0)
        {
            // one transaction: the functions that call each other change together
            await using var tx = await LockedAsync(conn, ct).ConfigureAwait(false);
            foreach (var (name, sql) in Due(await FunctionsAppliedAsync(conn, tx, ct).ConfigureAwait(false), set))
            {
                var sha = Checksum(sql);
                await ExecuteAsync(conn, tx, sql, ct).ConfigureAwait(false);
                await ExecuteAsync(conn, tx, """
                    INSERT INTO schema_functions (name, sha256) VALUES ($1, $2)
                    ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256, applied_at = now()
                    """, ct, name, sha).ConfigureAwait(false);
                applied.Add(name);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        return applied;
    }

    /// <summary>
    /// Replaces the earlier layout's history with this build's baseline; no table is touched. No function file
    /// is recorded as applied, whatever that layout left: the next step applies every one once, so a function
    /// patched by hand in the store since (body, owner, SECURITY DEFINER, search_path, grants) is put right.
    /// </summary>
    private static async Task<string> AdoptAsync(NpgsqlConnection conn, NpgsqlTransaction tx, (int Version, string Name, string Sql) baseline, CancellationToken ct)
    {
        await ExecuteAsync(conn, tx, "DELETE FROM schema_migrations", ct).ConfigureAwait(false);
        await ExecuteAsync(conn, tx, "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)", ct, baseline.Version, baseline.Name, Checksum(baseline.Sql)).ConfigureAwait(false);
        // 001_schema.sql grants this on a fresh store; the earlier layout had no such table
        await ExecuteAsync(conn, tx, "GRANT SELECT ON schema_functions TO compliance_recorder", ct).ConfigureAwait(false);
        return $"{baseline.Name} (adopted: the earlier {EarlierLayout.History[0].Name} … {EarlierLayout.History[^1].Name}, not run again)";
    }

    private static async Task<NpgsqlTransaction> LockedAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await ExecuteAsync(conn, tx, $"SELECT pg_advisory_xact_lock({LockKey})", ct).ConfigureAwait(false);
        return tx;
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var p in parameters)
        {
            cmd.Parameters.AddWithValue(p);
        }
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
