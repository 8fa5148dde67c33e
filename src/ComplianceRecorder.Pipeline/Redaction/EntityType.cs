namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>What a redacted span held. The placeholder written in its place is <c>[NAME]</c>.</summary>
public enum EntityType : byte
{
    Card,
    Cvv,
    Expiry,
    Pin,
    Ssn,
    Phone,
    Email,
    BankAccount,
    Routing,
    Iban,
    IpAddress,
    Number,
}
