namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// The last four digits of each social, phone or account number masked in a call's finals, so that a later "the one ending
/// in 6789" is named for what it ends, not taken for a card's. A call gives a few; past <see cref="Max"/> the oldest go.
/// </summary>
internal sealed class OwnedLastFours
{
    private const int Max = 8;
    private readonly (int Four, EntityType Type)[] _owned = new (int, EntityType)[Max];
    private int _count;

    public static bool Owns(EntityType type) => type is EntityType.Ssn or EntityType.Phone or EntityType.BankAccount or EntityType.Routing;

    public void Add(EntityType type, string digits)
    {
        if (digits.Length < 4)
        {
            return;
        }
        _owned[_count++ % Max] = (Four(digits.AsSpan(digits.Length - 4)), type);
    }

    /// <returns>What the number these four digits end was, or null.</returns>
    public EntityType? Of(string four)
    {
        if (_count == 0)
        {
            return null;
        }
        var value = Four(four);
        for (var i = Math.Min(_count, Max) - 1; i >= 0; i--)
        {
            if (_owned[i].Four == value)
            {
                return _owned[i].Type;
            }
        }
        return null;
    }

    private static int Four(ReadOnlySpan<char> digits) => ((digits[0] - '0') * 1000) + ((digits[1] - '0') * 100) + ((digits[2] - '0') * 10) + (digits[3] - '0');
}
