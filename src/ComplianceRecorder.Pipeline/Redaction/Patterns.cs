using System.Text.RegularExpressions;

namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>Entities with a fixed written form, found before numbers so their digits are not counted twice.</summary>
internal static partial class Patterns
{
    [GeneratedRegex(@"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", RegexOptions.CultureInvariant)]
    public static partial Regex WrittenEmail();

    // "john dot smith at gmail dot com", "j underscore doe at example dot co dot uk"
    [GeneratedRegex("""
        \b(?:[a-z0-9]\s+(?=[a-z0-9]\b))*   # a local part spelled letter by letter: "j o h n at …"
        [a-z0-9][a-z0-9._-]*(?:\s+(?:dot|underscore|dash|hyphen|period)\s+[a-z0-9][a-z0-9._-]*)*
        \s+(?:at|@)\s+
        [a-z0-9][a-z0-9-]*(?:(?:\s+dot\s+|\.)[a-z0-9-]+)*(?:\s+dot\s+|\.)(?:com|net|org|edu|gov|mil|io|co|us|uk|ca|de|fr|es|it|nl|ie|au|in|info|biz|me|ai|app|dev|mail)\b
        """, RegexOptions.IgnoreCase | RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    public static partial Regex SpokenEmail();

    // an email still being spoken ("jane dot doe at exam…"): partials are redacted before the address is complete
    [GeneratedRegex(@"\b[a-z0-9]+(?:\s+(?:dot|underscore)\s+[a-z0-9]+)+(?:\s+at\b.*)?$|\b[a-z0-9]+(?:\s+(?:dot|underscore)\s+[a-z0-9]+)*\s+at\s+[a-z0-9]+\s+dot\b.*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    public static partial Regex UnfinishedSpokenEmail();

    [GeneratedRegex(@"\b[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}\b", RegexOptions.CultureInvariant)]
    public static partial Regex Iban();

    [GeneratedRegex(@"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.]*\d)", RegexOptions.CultureInvariant)]
    public static partial Regex IpV4();

    [GeneratedRegex(@"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![0-9A-Fa-f:])|(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?(?![0-9A-Fa-f:])", RegexOptions.CultureInvariant)]
    public static partial Regex IpV6();

    // Shapes of harmless numbers: dates, thousands-grouped amounts, decimals.
    [GeneratedRegex(@"^(?:d{4}-d{1,2}-d{1,2}|d{1,2}[/.-]d{1,2}[/.-](?:d{2}|d{4})|d{1,3}(?:,d{3})+(?:\.d+)?|d+\.d{1,2})$", RegexOptions.CultureInvariant)]
    public static partial Regex HarmlessShape();

    [GeneratedRegex(@"^d{3}[- ]d{2}[- ]d{4}$", RegexOptions.CultureInvariant)]
    public static partial Regex SsnShape();

    // Expiry as written: 04/27, 4/2027, 04-27
    [GeneratedRegex(@"^d{1,2}[/-](?:d{2}|d{4})$", RegexOptions.CultureInvariant)]
    public static partial Regex ExpiryShape();
}
