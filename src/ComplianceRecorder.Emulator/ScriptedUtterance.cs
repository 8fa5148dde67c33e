namespace ComplianceRecorder.Emulator;

/// <summary>Something said on a channel (EXTERNAL or INTERNAL), at an offset from the call's start.</summary>
public sealed record ScriptedUtterance(string Channel, long AtMs, string Text);
