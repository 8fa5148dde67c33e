namespace ComplianceRecorder.Web;

/// <summary>What a key may do: a viewer sees captions; an auditor also reports and exports.</summary>
public enum Role { Viewer, Auditor }
