namespace ComplianceRecorder.Genesys;

/// <summary>Where and as whom to connect. Secrets come from environment or files, never from a committed file.</summary>
public sealed record GenesysOptions
{
    /// <summary>A region name (us-east-1) or host (mypurecloud.com).</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>Overrides https://login.{host}, for the emulator and gateways.</summary>
    public Uri? LoginBaseUrl { get; init; }

    /// <summary>Overrides https://api.{host}.</summary>
    public Uri? ApiBaseUrl { get; init; }

    public string ClientId { get; init; } = "";

    public string ClientSecret { get; init; } = "";

    /// <summary>Queues whose new voice calls are followed (auto mode).</summary>
    public IReadOnlyList<string> QueueIds { get; init; } = [];

    /// <summary>Agents whose calls are followed (auto mode), through v2.users.{id}.conversations.</summary>
    public IReadOnlyList<string> UserIds { get; init; } = [];

    /// <summary>Calls to follow from the start.</summary>
    public IReadOnlyList<string> ConversationIds { get; init; } = [];

    /// <summary>"notifications" (Genesys Cloud's Notifications API, the default), "media" (the seed tutorial's dialect) or "audiohook" (audio, recognised here).</summary>
    public string Dialect { get; init; } = "notifications";

    /// <summary>Media dialect: the organization whose host serves activation and the socket.</summary>
    public string OrgId { get; init; } = "";

    /// <summary>Media dialect: the sessions to activate and follow.</summary>
    public IReadOnlyList<string> MediaSessionIds { get; init; } = [];

    /// <summary>No message (heartbeats come about every 30 s) for this long means the socket is dead.</summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>How often subscriptions are put again, which extends the channel's 24 h life.</summary>
    public TimeSpan ChannelRenewal { get; init; } = TimeSpan.FromHours(12);

    /// <summary>
    /// A followed call silent this long is taken to have ended unheard (its SESSION_ENDED and hang-up
    /// were lost): it is reported finished and its topic leaves the channel, so it does not stay
    /// subscribed for ever. The recorder keeps this equal to its own idle time.
    /// </summary>
    public TimeSpan CallSilence { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a channel gathers subscription changes before sending them in one request.</summary>
    public TimeSpan SubscriptionBatch { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// A call not subscribed this long after it was found is recorded as unheard from then until its
    /// subscription succeeds (or the call ends); changes that fail are retried all the while.
    /// </summary>
    public TimeSpan SubscribeWithin { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Topics per channel before another channel is opened; Genesys allows 1,000.</summary>
    public int TopicsPerChannel { get; init; } = 1000;

    /// <summary>Channels this process may open; Genesys allows 20 per OAuth client.</summary>
    public int MaxChannels { get; init; } = 20;

    /// <summary>Retries of one REST call after 429, 5xx, a network error or a timeout.</summary>
    public int MaxRetries { get; init; } = 6;

    /// <summary>The first backoff when Genesys gives no Retry-After; it doubles, with jitter.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>One REST attempt's time limit.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>When a call with recorded gaps ends, fetch Genesys' stored transcript and record what the gaps lost.</summary>
    public bool Backfill { get; init; } = true;

    public string Codec { get; init; } = "opus";

    /// <summary>The audiohook dialect: the integration's key, secret and organization.</summary>
    public AudioHook.AudioHookOptions AudioHook { get; init; } = new();

    public string Language { get; init; } = "en-US";

    public static readonly IReadOnlyDictionary<string, string> Hosts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["us-east-1"] = "mypurecloud.com",
        ["us-east-2"] = "use2.us-gov-pure.cloud",
        ["us-west-2"] = "usw2.pure.cloud",
        ["ca-central-1"] = "cac1.pure.cloud",
        ["sa-east-1"] = "sae1.pure.cloud",
        ["mx-central-1"] = "mxc1.pure.cloud",
        ["eu-west-1"] = "mypurecloud.ie",
        ["eu-west-2"] = "euw2.pure.cloud",
        ["eu-central-1"] = "mypurecloud.de",
        ["eu-central-2"] = "euc2.pure.cloud",
        ["eusc-de-east-1"] = "edee1.eusc-pure.cloud",
        ["me-central-1"] = "mec1.pure.cloud",
        ["ap-south-1"] = "aps1.pure.cloud",
        ["ap-southeast-1"] = "apse1.pure.cloud",
        ["ap-southeast-2"] = "mypurecloud.com.au",
        ["ap-northeast-1"] = "mypurecloud.jp",
        ["ap-northeast-2"] = "apne2.pure.cloud",
        ["ap-northeast-3"] = "apne3.pure.cloud",
    };

    public string Host => Hosts.TryGetValue(Region, out var h) ? h
        : Hosts.Values.Contains(Region, StringComparer.OrdinalIgnoreCase) ? Region
        : throw new ArgumentException($"Genesys:Region '{Region}' is neither a Genesys region name nor a region host");

    public Uri Login => LoginBaseUrl ?? new Uri($"https://login.{Host}");

    public Uri Api => ApiBaseUrl ?? new Uri($"https://api.{Host}");
}
