namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>What a redacted span held. The placeholder written in its place is its name in brackets (<c>[CARD]</c>).</summary>
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
    /// <summary>A person's name: the caller's, a relative's, the agent's own.</summary>
    Name,
    /// <summary>A postal address: house number and street, apartment, zip code.</summary>
    Address,
    /// <summary>A date of birth.</summary>
    Dob,
}
