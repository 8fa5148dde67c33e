namespace ComplianceRecorder.Emulator;

/// <summary>One call of a scenario: when it starts, and what is said in it.</summary>
public sealed record ScriptedCall(string ConversationId, long StartMs, IReadOnlyList<ScriptedUtterance> Utterances);
