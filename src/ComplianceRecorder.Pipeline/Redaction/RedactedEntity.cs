namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>One placeholder in a redacted text, as offsets into that text.</summary>
public readonly record struct RedactedEntity(EntityType Type, int Start, int End);
