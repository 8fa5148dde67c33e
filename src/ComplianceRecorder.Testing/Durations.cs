namespace ComplianceRecorder.Testing;

/// <summary>Short spellings for the times a timing test is full of: <c>100.Ms()</c>, <c>2.Seconds()</c>.</summary>
public static class Durations
{
    /// <summary>This many milliseconds.</summary>
    public static TimeSpan Ms(this int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    /// <summary>This many seconds.</summary>
    public static TimeSpan Seconds(this int seconds) => TimeSpan.FromSeconds(seconds);

    /// <summary>This many minutes.</summary>
    public static TimeSpan Minutes(this int minutes) => TimeSpan.FromMinutes(minutes);
}
