using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace ComplianceRecorder.EventStore.Schema;

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
        var applied = new HashSet<int>();
        try
        {
            await using var cmd = db.CreateCommand("SELECT version FROM schema_migrations");
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                applied.Add(r.GetInt32(0));
            }
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InsufficientPrivilege)
        {
            // no schema yet, or one from before the recorder's role could read this table: all to do
        }
        return [.. Embedded().Where(m => !applied.Contains(m.Version)).Select(m => m.Name)];
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
                record.Parameters.AddWithValue(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql))));
                await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
            applied.Add(name);
        }
        return applied;
    }
}
