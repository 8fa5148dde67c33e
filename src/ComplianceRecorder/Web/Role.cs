namespace ComplianceRecorder.Web;

/// <summary>What a key may do: a viewer sees captions; an auditor also reports and exports; a compliance admin places holds, erases and sets retention, and nothing else.</summary>
public enum Role { Viewer, Auditor, ComplianceAdmin }
