using ComplianceRecorder.EventStore.Verification;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Tests.EventStore;

public sealed class CheckpointKeySettingsTests
{
    private static readonly byte[] Current = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly byte[] Old = [.. Enumerable.Range(50, 32).Select(i => (byte)i)];

    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public void Retired_keys_are_read_from_the_configuration_or_a_file_and_only_the_current_one_signs()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, Convert.ToBase64String(Old.Reverse().ToArray()));
        try
        {
            var keys = Settings.CheckpointKeys(Config(new()
            {
                ["Recorder:CheckpointKey"] = Convert.ToBase64String(Current),
                ["Recorder:RetiredCheckpointKeys:0:Key"] = Convert.ToBase64String(Old),
                ["Recorder:RetiredCheckpointKeys:1:KeyFile"] = file,
            }));

            Assert.Equal(CheckpointKey.FromSecret(Current).Id, keys.Current.Id);
            Assert.NotNull(keys.Find(CheckpointKey.FromSecret(Old).Id));
            Assert.NotNull(keys.Find(CheckpointKey.FromSecret([.. Old.Reverse()]).Id));
            Assert.Equal(3, keys.Ids.Count());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("Recorder:CheckpointKeyFile", UnixFileMode.GroupRead)]
    [InlineData("Recorder:CheckpointKeyFile", UnixFileMode.OtherRead)]
    [InlineData("Recorder:RetiredCheckpointKeys:0:KeyFile", UnixFileMode.OtherRead)]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_key_file_others_may_read_is_refused_naming_its_setting(string setting, UnixFileMode extra)
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, Convert.ToBase64String(Old));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);
        try
        {
            var values = new Dictionary<string, string?> { [setting] = file };
            if (setting != "Recorder:CheckpointKeyFile")
            {
                values["Recorder:CheckpointKey"] = Convert.ToBase64String(Current);
            }

            var e = Assert.Throws<SettingsException>(() => Settings.CheckpointKeys(Config(values)));

            Assert.StartsWith(setting + ": ", e.Message, StringComparison.Ordinal);
            Assert.Contains("chmod 600", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("Recorder:RetiredCheckpointKeys:0:Key", "not base64!", "Recorder:RetiredCheckpointKeys:0:Key is not base64")]
    [InlineData("Recorder:RetiredCheckpointKeys:0:Key", "c2hvcnQ=", "Recorder:RetiredCheckpointKeys:0:Key must be at least 16 bytes")]
    [InlineData("Recorder:RetiredCheckpointKeys:0:KeyFile", "/nonexistent/key", "Recorder:RetiredCheckpointKeys:0:KeyFile names '/nonexistent/key'")]
    [InlineData("Recorder:RetiredCheckpointKeys:0:Id", "abc", "Recorder:RetiredCheckpointKeys:0 has neither Key (base64) nor KeyFile")]
    public void A_bad_retired_key_fails_naming_its_setting(string key, string value, string message)
    {
        var e = Assert.Throws<SettingsException>(() => Settings.CheckpointKeys(Config(new()
        {
            ["Recorder:CheckpointKey"] = Convert.ToBase64String(Current),
            [key] = value,
        })));

        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }
}
