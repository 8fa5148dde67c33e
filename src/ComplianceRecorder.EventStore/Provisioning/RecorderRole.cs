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
        // ALTER ROLE takes no parameters; the password is hex, so the literal cannot be broken out of
        await using var cmd = new NpgsqlCommand($"""
            DO $$
            BEGIN
              CREATE ROLE {Name} NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$;
            ALTER ROLE {Name} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '{password}';
            """, conn);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
