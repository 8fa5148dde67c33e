using System.Security.Cryptography;
using ComplianceRecorder.Development;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.EventStore.Provisioning;
using ComplianceRecorder.EventStore.Verification;
using ComplianceRecorder.Genesys;
using ComplianceRecorder.Genesys.AudioHook;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder;

/// <summary>A setting that is missing or wrong; the message names the key.</summary>
public sealed class SettingsException(string message) : Exception(message);

/// <summary>appsettings.json (top level of the repository, or beside the program) plus environment variables.</summary>
internal static class Settings
{
    public static IConfiguration Load(string[] args)
    {
        var root = FindRoot();
        return new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(root, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
    }

    public static string FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "appsettings.json")))
                {
                    return dir.FullName;
                }
            }
        }
        return Directory.GetCurrentDirectory();
    }

    /// <summary>The configured server, or a private cluster under the data folder that keeps its data across runs.</summary>
    public static Task<StoreConnections> EventStoreAsync(IConfiguration config, bool quiet = false) =>
        EventStoreAsync(config, quiet ? Console.Error : Console.Out);

    public static async Task<StoreConnections> EventStoreAsync(IConfiguration config, TextWriter output)
    {
        var owner = config.GetConnectionString("EventStoreOwner") is { Length: > 0 } o ? o : null;
        if (config.GetConnectionString("EventStore") is { Length: > 0 } cs)
        {
            return new StoreConnections(cs, owner, null);
        }
        if (owner is not null)
        {
            throw new SettingsException($"{StoreConnections.OwnerKey} is set but ConnectionStrings:EventStore is empty; set both, or neither for the private cluster");
        }
        var dir = config["Recorder:DataDirectory"] is { Length: > 0 } d ? d : Path.Combine(FindRoot(), ".data", "postgres");
        var pg = await LocalPostgres.StartAsync(dir, stopOnDispose: true).ConfigureAwait(false);
        await output.WriteLineAsync($"PostgreSQL: private cluster in {pg.DataDirectory} on 127.0.0.1:{pg.Port}").ConfigureAwait(false);
        return new StoreConnections(pg.RecorderConnectionString(), pg.ConnectionString(), pg);
    }

    /// <summary>
    /// The key that signs stream heads: Recorder:CheckpointKey (base64) or Recorder:CheckpointKeyFile.
    /// With neither, a key is made once in the data folder, as the demo needs; production sets its own.
    /// Retired keys (Recorder:RetiredCheckpointKeys:N:Key or :KeyFile) still verify what they signed.
    /// </summary>
    public static CheckpointKeys CheckpointKeys(IConfiguration config) => KeySet(CurrentCheckpointKey(config, create: true)!, config);

    /// <summary>The same keys for verify, which never makes one: null when none is configured or kept.</summary>
    public static CheckpointKeys? VerifyingCheckpointKeys(IConfiguration config) =>
        CurrentCheckpointKey(config, create: false) is { } current ? KeySet(current, config) : null;

    /// <summary>The keys an embedding host names itself (Recorder:CheckpointKey or :CheckpointKeyFile); never one kept in a data folder.</summary>
    public static CheckpointKeys ConfiguredCheckpointKeys(IConfiguration config) =>
        KeySet(NamedCheckpointKey(config) ?? throw new SettingsException("Recorder:CheckpointKey or Recorder:CheckpointKeyFile must be set: the key that signs stream heads"), config);

    private static CheckpointKeys KeySet(CheckpointKey current, IConfiguration config)
    {
        try
        {
            return new CheckpointKeys(current, RetiredCheckpointKeys(config));
        }
        catch (ArgumentException e)
        {
            throw new SettingsException("Recorder:RetiredCheckpointKeys: " + e.Message);
        }
    }

    private static CheckpointKey? NamedCheckpointKey(IConfiguration config) =>
        config["Recorder:CheckpointKey"] is { Length: > 0 } b64 ? KeyFrom(b64, "Recorder:CheckpointKey")
        : config["Recorder:CheckpointKeyFile"] is { Length: > 0 } named ? KeyFromFile(named, "Recorder:CheckpointKeyFile")
        : null;

    private static CheckpointKey? CurrentCheckpointKey(IConfiguration config, bool create)
    {
        if (NamedCheckpointKey(config) is { } named)
        {
            return named;
        }
        var file = Path.Combine(FindRoot(), ".data", "checkpoint.key");
        if (!File.Exists(file))
        {
            if (!create)
            {
                return null;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            SecretFile.Write(file, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), createNew: true);
        }
        return KeyFromFile(file, "Recorder:CheckpointKeyFile");
    }

    /// <summary>
    /// A key file others on the machine can read is a key they can sign forged heads with: refused,
    /// rather than quietly narrowed, so the operator learns who may have read it.
    /// </summary>
    private static CheckpointKey KeyFromFile(string file, string setting) => KeyFrom(ReadSecretFile(file, setting), setting);

    /// <summary>A secret file's text, refused when it is missing or group or others may read it (the message names <paramref name="setting"/>).</summary>
    internal static string ReadSecretFile(string file, string setting)
    {
        if (!File.Exists(file))
        {
            throw new SettingsException($"{setting} names '{file}', which does not exist");
        }
        const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & Others) != 0)
        {
            throw new SettingsException($"{setting}: '{file}' may be read or written by group or others; make it readable by its owner only (chmod 600) and rotate the key if it was exposed");
        }
        return File.ReadAllText(file).Trim();
    }

    private static List<CheckpointKey> RetiredCheckpointKeys(IConfiguration config)
    {
        var keys = new List<CheckpointKey>();
        foreach (var entry in config.GetSection("Recorder:RetiredCheckpointKeys").GetChildren())
        {
            var name = $"Recorder:RetiredCheckpointKeys:{entry.Key}";
            if (entry["Key"] is { Length: > 0 } b64)
            {
                keys.Add(KeyFrom(b64, name + ":Key"));
            }
            else if (entry["KeyFile"] is { Length: > 0 } file)
            {
                keys.Add(KeyFromFile(file, name + ":KeyFile"));
            }
            else
            {
                throw new SettingsException($"{name} has neither Key (base64) nor KeyFile");
            }
        }
        return keys;
    }

    private static CheckpointKey KeyFrom(string base64, string setting)
    {
        byte[] secret;
        try
        {
            secret = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new SettingsException($"{setting} is not base64");
        }
        return secret.Length >= 16 ? CheckpointKey.FromSecret(secret) : throw new SettingsException($"{setting} must be at least 16 bytes");
    }

    /// <summary>Where events that could not be committed by the stop deadline are spilled (Recorder:SpillDirectory); made if need be, and must be writable.</summary>
    public static string SpillDirectory(IConfiguration config)
    {
        var dir = config["Recorder:SpillDirectory"] is { Length: > 0 } d ? Path.GetFullPath(d) : Path.Combine(FindRoot(), ".data", "spill");
        if (File.Exists(dir))
        {
            throw new SettingsException($"Recorder:SpillDirectory = '{dir}' is a file, not a directory");
        }
        try
        {
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, ".probe-" + Environment.ProcessId);
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"Recorder:SpillDirectory = '{dir}' cannot be written: {e.Message}");
        }
        return dir;
    }

    /// <summary>The emulator's settings (section <c>Emulator</c>), each default the one <see cref="EmulatorOptions"/> declares but Loop's, which the caller gives.</summary>
    public static EmulatorOptions Emulator(IConfiguration config, bool loop)
    {
        var d = new EmulatorOptions();
        return new EmulatorOptions
        {
            Scenario = config["Emulator:Scenario"] is { Length: > 0 } sc ? sc : d.Scenario,
            Speed = Number(config, "Emulator:Speed", d.Speed, 0.01, 1000),
            Seed = Number(config, "Emulator:Seed", d.Seed, int.MinValue, int.MaxValue),
            Loop = Flag(config, "Emulator:Loop", loop),
        };
    }

    public static bool Flag(IConfiguration config, string key, bool fallback) => config[key] switch
    {
        null or "" => fallback,
        var raw when bool.TryParse(raw, out var v) => v,
        var raw => throw new SettingsException($"{key} = '{raw}' is neither true nor false"),
    };

    public static T Number<T>(IConfiguration config, string key, T fallback, T min, T max) where T : struct, IParsable<T>, IComparable<T>
    {
        var raw = config[key];
        if (string.IsNullOrEmpty(raw))
        {
            return fallback;
        }
        if (!T.TryParse(raw, System.Globalization.CultureInfo.InvariantCulture, out var v) || v.CompareTo(min) < 0 || v.CompareTo(max) > 0)
        {
            throw new SettingsException($"{key} = '{raw}' is not a number from {min} to {max}");
        }
        return v;
    }

    /// <summary>
    /// The Genesys settings; each default is the one <see cref="GenesysOptions"/> declares. With
    /// <paramref name="requireCredentials"/>, what a real connection cannot do without must be set.
    /// </summary>
    public static GenesysOptions Genesys(IConfiguration config, bool requireCredentials = false)
    {
        var d = new GenesysOptions();
        var g = config.GetSection("Genesys");
        var options = new GenesysOptions
        {
            Region = g["Region"] is { Length: > 0 } region ? region : d.Region,
            LoginBaseUrl = Url(g, "LoginBaseUrl"),
            ApiBaseUrl = Url(g, "ApiBaseUrl"),
            ClientId = g["ClientId"] ?? d.ClientId,
            ClientSecret = Secret(g, "ClientSecret"),
            QueueIds = g.GetSection("QueueIds").Get<string[]>() ?? [],
            ConversationIds = g.GetSection("ConversationIds").Get<string[]>() ?? [],
            UserIds = g.GetSection("UserIds").Get<string[]>() ?? [],
            TopicsPerChannel = Number(config, "Genesys:TopicsPerChannel", d.TopicsPerChannel, 1, 1000),
            MaxChannels = Number(config, "Genesys:MaxChannels", d.MaxChannels, 1, 20),
            SubscriptionBatch = TimeSpan.FromMilliseconds(Number(config, "Genesys:SubscriptionBatchMs", (int)d.SubscriptionBatch.TotalMilliseconds, 0, 10_000)),
            SubscribeWithin = TimeSpan.FromSeconds(Number(config, "Genesys:SubscribeWithinSeconds", (int)d.SubscribeWithin.TotalSeconds, 1, 300)),
            MaxRetries = Number(config, "Genesys:MaxRetries", d.MaxRetries, 0, 20),
            RetryDelay = TimeSpan.FromMilliseconds(Number(config, "Genesys:RetryDelayMs", (int)d.RetryDelay.TotalMilliseconds, 1, 60_000)),
            RequestTimeout = TimeSpan.FromSeconds(Number(config, "Genesys:RequestTimeoutSeconds", (int)d.RequestTimeout.TotalSeconds, 1, 600)),
            Backfill = Flag(config, "Genesys:Backfill", d.Backfill),
            Dialect = g["Dialect"] is { Length: > 0 } dialect ? dialect : d.Dialect,
            OrgId = g["OrgId"] ?? d.OrgId,
            MediaSessionIds = g.GetSection("MediaSessionIds").Get<string[]>() ?? [],
            Codec = g["Codec"] is { Length: > 0 } c ? c : d.Codec,
            Language = g["Language"] is { Length: > 0 } l ? l : d.Language,
            AudioHook = AudioHook(config),
        };
        if (options.Dialect is not ("notifications" or "media" or "audiohook"))
        {
            throw new SettingsException($"Genesys:Dialect = '{options.Dialect}' is neither 'notifications', 'media' nor 'audiohook'");
        }
        if (options.Dialect == "audiohook" && options.AudioHook.ApiKey.Length == 0)
        {
            throw new SettingsException("Genesys:AudioHook:ApiKey is required for the audiohook dialect (the integration's API key; set it in the environment: Genesys__AudioHook__ApiKey)");
        }
        try
        {
            _ = options.Host;
        }
        catch (ArgumentException e)
        {
            throw new SettingsException(e.Message);
        }
        if (requireCredentials && options.Dialect == "media" && (options.OrgId.Length == 0 || options.MediaSessionIds.Count == 0))
        {
            throw new SettingsException("Genesys:OrgId and Genesys:MediaSessionIds are required for the media dialect");
        }
        if (requireCredentials && options.Dialect == "notifications" && (options.ClientId.Length == 0 || options.ClientSecret.Length == 0))
        {
            throw new SettingsException("Genesys:ClientId and Genesys:ClientSecret are required to connect to Genesys Cloud (set them in the environment: Genesys__ClientId, Genesys__ClientSecret or Genesys__ClientSecretFile)");
        }
        return options;
    }

    /// <summary>The AudioHook integration: its key and secret from the environment or files, never logged.</summary>
    private static AudioHookOptions AudioHook(IConfiguration config)
    {
        var d = new AudioHookOptions();
        var a = config.GetSection("Genesys:AudioHook");
        var secret = Secret(a, "ClientSecret", "Genesys:AudioHook:");
        if (secret.Length > 0)
        {
            var bytes = new byte[secret.Length];
            if (!Convert.TryFromBase64String(secret, bytes, out var n) || n < 16)
            {
                // the value itself is a secret: it is not echoed
                throw new SettingsException("Genesys:AudioHook:ClientSecret is not base64 of at least 16 bytes");
            }
        }
        var path = a["Path"] is { Length: > 0 } p ? p : d.Path;
        if (!path.StartsWith('/'))
        {
            throw new SettingsException($"Genesys:AudioHook:Path = '{path}' does not start with /");
        }
        return new AudioHookOptions
        {
            Path = path,
            ApiKey = Secret(a, "ApiKey", "Genesys:AudioHook:"),
            ClientSecret = secret,
            OrganizationId = a["OrganizationId"] ?? "",
            MaxBacklog = TimeSpan.FromSeconds(Number(config, "Genesys:AudioHook:MaxBacklogSeconds", (int)d.MaxBacklog.TotalSeconds, 1, 600)),
            MaxSessions = Number(config, "Genesys:AudioHook:MaxSessions", d.MaxSessions, 1, 1000),
            ReconnectGrace = TimeSpan.FromSeconds(Number(config, "Genesys:AudioHook:ReconnectGraceSeconds", d.ReconnectGrace.TotalSeconds, 0, 300)),
            Model = a["Model"] is { Length: > 0 } m ? m : d.Model,
        };
    }

    private static Uri? Url(IConfiguration section, string key)
    {
        var raw = section[key];
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }
        return Uri.TryCreate(raw, UriKind.Absolute, out var u) ? u : throw new SettingsException($"Genesys:{key} = '{raw}' is not an absolute URL");
    }

    /// <summary>Secrets come from the environment or a file (Genesys:ClientSecretFile), never from a committed setting.</summary>
    private static string Secret(IConfiguration section, string key, string prefix = "Genesys:")
    {
        if (section[key + "File"] is { Length: > 0 } file)
        {
            return File.Exists(file) ? File.ReadAllText(file).Trim() : throw new SettingsException($"{prefix}{key}File names '{file}', which does not exist");
        }
        return section[key] ?? "";
    }
}
