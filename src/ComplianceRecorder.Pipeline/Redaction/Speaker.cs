namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>Who said an utterance: the customer, or the agent whose questions set the topic.</summary>
public enum Speaker : byte { Customer, Agent }
