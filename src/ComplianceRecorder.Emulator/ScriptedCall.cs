namespace ComplianceRecorder.Emulator;

/// <summary>One call of a scenario: when it starts, and what is said in it.</summary>
public sealed record ScriptedCall(string ConversationId, long StartMs, IReadOnlyList<ScriptedUtterance> Utterances)
{
    /// <summary>The agent who takes the call, named in the queue topic's participants as Genesys names them; none leaves the call unassigned.</summary>
    public ScriptedAgent? Agent { get; init; }
}

/// <summary>An agent as Genesys' participants carry one: a user id and a name.</summary>
public sealed record ScriptedAgent(string Id, string Name);
