namespace ComplianceRecorder.ReadSide;

/// <summary>What an auditor asked for: a projection, filtered.</summary>
public sealed record ReportRequest(string Kind, string? Call, DateTimeOffset? From, DateTimeOffset? To, string? Flag)
{
    public static readonly string[] Kinds = ["audit", "calls", "metrics"];

    public string Describe() =>
        string.Join('&', new[] { ("call", Call), ("from", From?.ToString("O")), ("to", To?.ToString("O")), ("flag", Flag) }
            .Where(p => p.Item2 is not null).Select(p => $"{p.Item1}={p.Item2}"));
}
