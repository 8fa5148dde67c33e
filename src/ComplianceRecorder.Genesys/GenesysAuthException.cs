namespace ComplianceRecorder.Genesys;

/// <summary>Raised when Genesys refuses the credentials or a permission; the message names what is missing.</summary>
public sealed class GenesysAuthException(string message) : Exception(message);
