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

/// <summary>One placeholder in a redacted text, as offsets into that text.</summary>
public readonly record struct RedactedEntity(EntityType Type, int Start, int End);

public static class EntityTypes
{
    private static readonly string[] Placeholders =
        ["[CARD]", "[CVV]", "[EXPIRY]", "[PIN]", "[SSN]", "[PHONE]", "[EMAIL]", "[BANK_ACCOUNT]", "[ROUTING]", "[IBAN]", "[IP_ADDRESS]", "[NUMBER]"];

    private static readonly string[] Names =
        ["CARD", "CVV", "EXPIRY", "PIN", "SSN", "PHONE", "EMAIL", "BANK_ACCOUNT", "ROUTING", "IBAN", "IP_ADDRESS", "NUMBER"];

    public static string Placeholder(this EntityType type) => Placeholders[(int)type];

    public static string Name(this EntityType type) => Names[(int)type];
}
