using ComplianceRecorder.EventStore.Provisioning;
using ComplianceRecorder.Tests.Infrastructure;
using Npgsql;

namespace ComplianceRecorder.Tests.EventStore;

/// <summary>How the private cluster and the recorder's login are given their passwords.</summary>
public sealed class ProvisioningTests
{
    [Fact]
    public async Task The_scram_verifier_is_the_one_PostgreSQL_computes_for_the_same_salt()
    {
        var server = await PostgresServer.GetAsync();
        var role = "scram_" + Guid.NewGuid().ToString("N")[..8];
        await using var admin = NpgsqlDataSource.Create(server.AdminConnectionString);
        await using (var create = admin.CreateCommand($"SET password_encryption = 'scram-sha-256'; CREATE ROLE {role} PASSWORD 'c0ffee'"))
        {
            await create.ExecuteNonQueryAsync();
        }
        try
        {
            await using var read = admin.CreateCommand($"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'");
            var theirs = (string)(await read.ExecuteScalarAsync())!;
            var salt = Convert.FromBase64String(theirs.Split('$')[1].Split(':')[1]);

            Assert.Equal(theirs, RecorderRole.ScramVerifier("c0ffee", salt));
        }
        finally
        {
            await using var drop = admin.CreateCommand($"DROP ROLE {role}");
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task The_recorders_password_reaches_the_server_as_a_scram_verifier_whatever_its_password_encryption()
    {
        var server = await PostgresServer.GetAsync();
        // a server that would hash a plaintext password as md5 (which scram authentication then refuses)
        var md5Session = new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Options = "-c password_encryption=md5" }.ConnectionString;

        await RecorderRole.EnsureLoginAsync(md5Session, server.RecorderPassword);

        await using var admin = NpgsqlDataSource.Create(server.AdminConnectionString);
        await using var read = admin.CreateCommand("SELECT rolpassword FROM pg_authid WHERE rolname = 'compliance_recorder'");
        Assert.StartsWith("SCRAM-SHA-256$4096:", (string)(await read.ExecuteScalarAsync())!, StringComparison.Ordinal);
        await using var recorder = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.RecorderConnectionString("postgres")) { Pooling = false }.ConnectionString);
        await recorder.OpenAsync();
    }

    [Fact]
    public async Task The_private_clusters_passwords_are_kept_beside_its_data_directory_readable_by_their_owner_only()
    {
        var cluster = new PrivateCluster();
        await cluster.InitializeAsync();
        try
        {
            Assert.Empty(Directory.GetFiles(cluster.DataDirectory, "*.password"));
            foreach (var who in new[] { "owner", "recorder" })
            {
                var file = $"{cluster.DataDirectory}.{who}.password";
                Assert.True(File.Exists(file), file);
                if (!OperatingSystem.IsWindows())
                {
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
                }
            }
            Assert.Equal(1, await cluster.ScalarAsync<int>("SELECT 1"));
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}
