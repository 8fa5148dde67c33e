namespace ComplianceRecorder.Pipeline.Events;

/// <summary>The system streams, apart from the calls' own: their names start with <c>$</c>.</summary>
public static class Streams
{
    public const string Quarantine = "$quarantine";
    public const string Metrics = "$metrics";
    public const string Access = "$access";
    public const string Refused = "$refused";
    public const string Holds = "$holds";
    public const string Erasure = "$erasure";
    public const string Retention = "$retention";
}
