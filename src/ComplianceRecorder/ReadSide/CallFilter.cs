using System.Globalization;

namespace ComplianceRecorder.ReadSide;

/// <summary>
/// The console's call list query: filters, search, order and size, each parameter checked. A bad or
/// unknown one is refused naming it, so a typo (<c>agnet=</c>) never silently widens what is shown.
/// </summary>
public sealed record CallFilter(
    string? Queue, string? Agent, DateTimeOffset? From, DateTimeOffset? To, string? Flag, bool? HasGaps, string? Search, string Sort, bool Descending, int Limit)
{
    public const int MaxLimit = 5000;

    /// <summary>One call exactly, for the call view's header (not a query parameter).</summary>
    public string? Id { get; init; }

    /// <summary>Calls not yet ended are listed whatever their start (the default range: the last day and what is live).</summary>
    public bool AndLive { get; init; }

    /// <summary>
    /// The agents' names Genesys announced calls with are shown (and searched) only under Recorder:KeepAgentNames:
    /// calls recorded before that setting was honoured, or by another instance, hold them (not a query parameter).
    /// </summary>
    public bool AgentNames { get; init; }

    /// <summary>The widest range the list takes: each call costs lookups of its events.</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(31);

    /// <summary>With no from and no to, the list shows calls started in the last day and every call still live.</summary>
    public static readonly TimeSpan DefaultRange = TimeSpan.FromHours(24);

    /// <summary>Sort keys and the SQL expression each stands for; nothing else reaches ORDER BY.</summary>
    internal static readonly IReadOnlyDictionary<string, string> Sorts = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["started"] = "started_at",
        ["duration"] = "coalesce(ended_at, now()) - started_at",
        ["unheard"] = "unheard_seconds",
        ["redactions"] = "redactions",
        ["p50"] = "p50_latency_ms",
        ["p99"] = "p99_latency_ms",
        ["queue"] = "queue_id",
        ["agent"] = "coalesce(agent_name, agent_id)",
        ["call"] = "conversation_id",
        ["state"] = "ended_at IS NULL",
    };

    private static readonly string[] Known = ["queue", "agent", "from", "to", "flag", "gaps", "q", "sort", "limit"];

    public static readonly CallFilter Default = new(null, null, null, null, null, null, null, "started", true, 1000);

    /// <summary>
    /// Parses query parameters; throws <see cref="ArgumentException"/> naming the parameter at fault. A range is
    /// at most <see cref="MaxRange"/> (a missing end is <paramref name="now"/>); none at all is the last day and what is live.
    /// </summary>
    public static CallFilter Parse(IEnumerable<KeyValuePair<string, string?>> query, DateTimeOffset now)
    {
        var f = Default;
        foreach (var (key, raw) in query)
        {
            var value = raw?.Trim();
            if (!Known.Contains(key, StringComparer.Ordinal))
            {
                throw new ArgumentException($"unknown parameter '{key}'; known: {string.Join(", ", Known)}");
            }
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }
            f = key switch
            {
                "queue" => f with { Queue = Bounded(value, key) },
                "agent" => f with { Agent = Bounded(value, key) },
                "q" => f with { Search = Bounded(value, key) },
                "from" => f with { From = Report.ParseTime(value, "from") },
                "to" => f with { To = Report.ParseTime(value, "to") },
                "flag" => f with
                {
                    Flag = value is "PII_REDACTED" or "CLEAN" ? value : throw new ArgumentException($"flag '{value}' is not PII_REDACTED or CLEAN"),
                },
                "gaps" => f with
                {
                    HasGaps = bool.TryParse(value, out var g) ? g : throw new ArgumentException($"gaps '{value}' is not true or false"),
                },
                "sort" => ParseSort(f, value),
                _ => f with
                {
                    Limit = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= MaxLimit ? n
                        : throw new ArgumentException($"limit '{value}' is not a whole number from 1 to {MaxLimit}"),
                },
            };
        }
        if (f.From is { } from && f.To is { } to && to <= from)
        {
            throw new ArgumentException($"to '{to:O}' is not after from '{from:O}'");
        }
        if (f.From is null && f.To is null)
        {
            return f with { From = now - DefaultRange, AndLive = true };
        }
        var start = f.From ?? throw new ArgumentException($"to '{f.To:O}' is given without from; a range is at most {MaxRange.TotalDays:F0} days");
        if ((f.To ?? now) - start > MaxRange)
        {
            throw new ArgumentException($"from '{start:O}' is more than {MaxRange.TotalDays:F0} days before {(f.To is null ? "now" : "to")}");
        }
        return f;
    }

    private static CallFilter ParseSort(CallFilter f, string value)
    {
        var descending = value.StartsWith('-');
        var key = descending ? value[1..] : value;
        return Sorts.ContainsKey(key) ? f with { Sort = key, Descending = descending }
            : throw new ArgumentException($"sort '{value}' is not one of {string.Join(", ", Sorts.Keys)} (prefix - for descending)");
    }

    private static string Bounded(string value, string key) =>
        value.Length <= 200 ? value : throw new ArgumentException($"{key} is longer than 200 characters");
}
