namespace ComplianceRecorder.Web;

/// <summary>Marks the one route where a key may come in the query string (the page, which trades it for a session).</summary>
internal sealed class KeyInQuery
{
    public static readonly KeyInQuery Instance = new();
}
