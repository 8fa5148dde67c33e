using System.Security.Cryptography;
using ComplianceRecorder.EventStore.Encryption;
using ComplianceRecorder.EventStore.Provisioning;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder;

/// <summary>
/// The master key that wraps every call's data key: Recorder:MasterKey (base64, 32 bytes, from the
/// environment) or Recorder:MasterKeyFile (mode 0600), with keys rotated out under
/// Recorder:RetiredMasterKeys:N:Key or :KeyFile until <c>rotate-master-key</c> has re-wrapped what they
/// wrapped. Required outside development: the demo and the private cluster get one made once in
/// <c>.data/master.key</c>. Never logged.
/// </summary>
internal static class MasterKeySettings
{
    public const string Key = "Recorder:MasterKey";
    public const string KeyFile = "Recorder:MasterKeyFile";

    public static bool Configured(IConfiguration config) => config[Key] is { Length: > 0 } || config[KeyFile] is { Length: > 0 };

    public static LocalMasterKeys From(IConfiguration config)
    {
        var current = config[Key] is { Length: > 0 } b64 ? Decode(b64, Key)
            : config[KeyFile] is { Length: > 0 } file ? Decode(Settings.ReadSecretFile(file, KeyFile), KeyFile)
            : throw new SettingsException($"{Key} or {KeyFile} must be set: the master key (32 bytes, base64) that wraps each call's data key; only the demo and the private cluster make one themselves");
        var retired = new List<byte[]>();
        foreach (var entry in config.GetSection("Recorder:RetiredMasterKeys").GetChildren())
        {
            var name = $"Recorder:RetiredMasterKeys:{entry.Key}";
            retired.Add(entry["Key"] is { Length: > 0 } k ? Decode(k, name + ":Key")
                : entry["KeyFile"] is { Length: > 0 } f ? Decode(Settings.ReadSecretFile(f, name + ":KeyFile"), name + ":KeyFile")
                : throw new SettingsException($"{name} has neither Key (base64) nor KeyFile"));
        }
        return new LocalMasterKeys(current, retired);
    }

    /// <summary>The development key file, made once (atomically, as several demos or tests may start at once).</summary>
    public static string DevelopmentKeyFile()
    {
        var file = Path.Combine(Settings.FindRoot(), ".data", "master.key");
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var made = file + "." + Guid.NewGuid().ToString("N");
            SecretFile.Write(made, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), createNew: true);
            try
            {
                File.Move(made, file, overwrite: false);
            }
            catch (IOException) when (File.Exists(file))
            {
                // another process made it first: theirs is the key
                File.Delete(made);
            }
        }
        return file;
    }

    private static byte[] Decode(string base64, string setting)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new SettingsException($"{setting} is not base64");
        }
        return key.Length == 32 ? key : throw new SettingsException($"{setting} must be 32 bytes (AES-256), base64; it is {key.Length}");
    }
}
