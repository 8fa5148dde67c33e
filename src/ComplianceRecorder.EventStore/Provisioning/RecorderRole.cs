using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace ComplianceRecorder.EventStore.Provisioning;

/// <summary>
/// The role the recorder logs in as. Migrations grant it reading and the store's functions, nothing
/// else; a server of one's own gives it a login (this), a shared server may instead grant it to a
/// login role of the operator's choosing.
/// </summary>
public static class RecorderRole
{
    public const string Name = "compliance_recorder";

    /// <summary>Makes the role (cluster-wide) able to log in with <paramref name="password"/>, which must be hex.</summary>
    public static async Task EnsureLoginAsync(string ownerConnectionString, string password, CancellationToken ct = default)
    {
        if (!password.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException("the recorder's password is generated as hex, so it needs no quoting", nameof(password));
        }
        var cs = new NpgsqlConnectionStringBuilder(ownerConnectionString) { Pooling = false }.ConnectionString;
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync(ct).ConfigureAwait(false);
        // ALTER ROLE takes no parameters; the verifier is base64 and '$', so the literal cannot be broken out of
        await using var cmd = new NpgsqlCommand($"""
            DO $$
            BEGIN
              CREATE ROLE {Name} NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$;
            ALTER ROLE {Name} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '{ScramVerifier(password)}';
            """, conn);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The SCRAM-SHA-256 verifier PostgreSQL stores for <paramref name="password"/> (RFC 5802/7677: PBKDF2
    /// over a random salt, 4096 iterations). Sent instead of the password, so the password never appears
    /// in a statement a server may log, and is stored as SCRAM whatever the server's password_encryption.
    /// </summary>
    public static string ScramVerifier(string password, byte[]? salt = null)
    {
        const int Iterations = 4096;
        salt ??= RandomNumberGenerator.GetBytes(16);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        var storedKey = SHA256.HashData(HMACSHA256.HashData(salted, "Client Key"u8));
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return $"SCRAM-SHA-256${Iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }

    /// <summary>
    /// What the login behind <paramref name="recorder"/> can do that the recorder's role must not: be a
    /// superuser, own (or be a member of the owner of) the store's tables, write the record or its
    /// projections directly, write the migrations' bookkeeping (which could mark a fixed function file as
    /// applied, so the fix never is), or create objects in the store's schema. Empty when it is as restricted as
    /// the migrations make compliance_recorder.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ExcessPrivilegesAsync(NpgsqlDataSource recorder, CancellationToken ct = default)
    {
        await using var cmd = recorder.CreateCommand("""
            SELECT 'is a superuser' FROM pg_roles WHERE rolname = current_user AND rolsuper
            UNION ALL
            SELECT DISTINCT 'owns the store''s tables (through ' || pg_get_userbyid(c.relowner) || ')'
              FROM pg_class c
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND pg_has_role(current_user, c.relowner, 'MEMBER')
            UNION ALL
            SELECT 'holds ' || p || ' on ' || t
              FROM unnest(ARRAY['events', 'streams', 'audit_log', 'call_summaries', 'metrics_windows', 'metrics_daily', 'progression',
                                'chain_checkpoints', 'chain_anchors', 'schema_migrations', 'schema_functions', 'data_keys']) t
             CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p
             WHERE CASE WHEN to_regclass(t) IS NULL THEN false ELSE has_table_privilege(current_user, to_regclass(t), p) END
            UNION ALL
            SELECT 'can CREATE in schema ' || current_schema() WHERE has_schema_privilege(current_user, current_schema(), 'CREATE')
            """);
        var found = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            found.Add(r.GetString(0));
        }
        return found;
    }
}
