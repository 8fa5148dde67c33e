using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace ComplianceRecorder.EventStore.Schema;

/// <summary>The schema's applied migrations are not what this build carries: nothing is applied, the start fails.</summary>
public sealed class MigrationException(string message) : Exception(message);

/// <summary>
/// Applies the versioned SQL files in migrations/ (embedded in this assembly) in order, each once,
/// each in its own transaction, so a failing migration leaves the schema as it was.
/// </summary>
public static class Migrator
{
    private const long LockKey = 727273;

    public static IReadOnlyList<(int Version, string Name, string Sql)> Embedded()
    {
        var asm = typeof(Migrator).Assembly;
        var list = new List<(int, string, string)>();
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith("migrations/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var file = name["migrations/".Length..];
            var version = int.Parse(file.AsSpan(0, file.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
            using var s = asm.GetManifestResourceStream(name)!;
            using var r = new StreamReader(s, Encoding.UTF8);
            list.Add((version, file, r.ReadToEnd()));
        }
        return list;
    }

    /// <summary>Migrations not yet applied, read with any role that may see schema_migrations.</summary>
    public static async Task<IReadOnlyList<string>> PendingAsync(NpgsqlDataSource db, CancellationToken ct = default)
    {
        var applied = new Dictionary<int, string>();
        try
        {
            await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
            applied = await AppliedAsync(conn, null, ct).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InsufficientPrivilege)
        {
            // no schema yet, or one from before the recorder's role could read this table: all to do
        }
        var embedded = Embedded();
        RequireConsistent(applied, embedded);
        return [.. embedded.Where(m => !applied.ContainsKey(m.Version)).Select(m => m.Name)];
    }

    private static async Task<Dictionary<int, string>> AppliedAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var applied = new Dictionary<int, string>();
        await using var cmd = new NpgsqlCommand("SELECT version, sha256 FROM schema_migrations", conn, tx);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            applied[r.GetInt32(0)] = r.GetString(1);
        }
        return applied;
    }

    private static string Checksum(string sql) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));

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

    public static async Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource db, IReadOnlyList<(int Version, string Name, string Sql)> migrations, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (var create = new NpgsqlCommand(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", conn))
        {
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await using (var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false))
        {
            await using (var lk = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockKey})", conn, tx))
            {
                await lk.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            RequireConsistent(await AppliedAsync(conn, tx, ct).ConfigureAwait(false), migrations);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        var applied = new List<string>();
        foreach (var (version, name, sql) in migrations)
        {
            await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            // several processes may start at once; one applies, the others then find it done
            await using (var lk = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockKey})", conn, tx))
            {
                await lk.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await using (var check = new NpgsqlCommand("SELECT 1 FROM schema_migrations WHERE version = $1", conn, tx))
            {
                check.Parameters.AddWithValue(version);
                if (await check.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null)
                {
                    await tx.RollbackAsync(ct).ConfigureAwait(false);
                    continue;
                }
            }
            await using (var run = new NpgsqlCommand(sql, conn, tx))
            {
                await run.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)", conn, tx))
            {
                record.Parameters.AddWithValue(version);
                record.Parameters.AddWithValue(name);
                record.Parameters.AddWithValue(Checksum(sql));
                await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
            applied.Add(name);
        }
        return applied;
    }
}
