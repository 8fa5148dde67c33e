namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>Each entity type's placeholder, and its name where entities are counted or listed.</summary>
public static class EntityTypes
{
    private static readonly string[] Placeholders =
        ["[CARD]", "[CVV]", "[EXPIRY]", "[PIN]", "[SSN]", "[PHONE]", "[EMAIL]", "[BANK_ACCOUNT]", "[ROUTING]", "[IBAN]", "[IP_ADDRESS]", "[NUMBER]", "[NAME]", "[ADDRESS]", "[DOB]"];

    private static readonly string[] Names =
        ["CARD", "CVV", "EXPIRY", "PIN", "SSN", "PHONE", "EMAIL", "BANK_ACCOUNT", "ROUTING", "IBAN", "IP_ADDRESS", "NUMBER", "NAME", "ADDRESS", "DOB"];

    public static string Placeholder(this EntityType type) => Placeholders[(int)type];

    public static string Name(this EntityType type) => Names[(int)type];
}
