namespace ComplianceRecorder.Verbs;

/// <summary>
/// A command line split in two: the configuration overrides (<c>--Section:Key value</c> or
/// <c>--Section:Key=value</c>), the same for every verb and read by <see cref="Settings.Load"/> as
/// <c>--Section:Key=value</c>; and the rest, the verb and its own arguments, for System.CommandLine.
/// </summary>
internal sealed record ConfigurationArguments(string[] Verb, string[] Overrides, string? Error)
{
    /// <param name="options">The verbs' own options: <c>--from:2026-11-24</c> is System.CommandLine's <c>--from 2026-11-24</c>, not a setting.</param>
    public static ConfigurationArguments Split(IReadOnlyList<string> args, IReadOnlySet<string> options)
    {
        var verb = new List<string>(args.Count);
        var overrides = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var name = arg.Split('=', 2)[0];
            var colon = name.IndexOf(':', StringComparison.Ordinal);
            if (!arg.StartsWith("--", StringComparison.Ordinal) || colon < 0 || options.Contains(name[..colon]))
            {
                verb.Add(arg);
            }
            else if (name.Length < arg.Length)
            {
                overrides.Add(arg);
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                overrides.Add($"{arg}={args[++i]}");
            }
            else
            {
                return new ConfigurationArguments([.. verb], [.. overrides], $"the setting {arg} needs a value ({arg} value or {arg}=value)");
            }
        }
        return new ConfigurationArguments([.. verb], [.. overrides], null);
    }
}
