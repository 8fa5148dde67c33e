namespace ComplianceRecorder.ReadSide;

/// <summary>How a report is written: csv, one JSON object per line, one JSON array, or a table for a terminal.</summary>
public enum ReportFormat { Csv, Jsonl, Json, Table }
