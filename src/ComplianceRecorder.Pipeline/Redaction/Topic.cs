using System.Text.RegularExpressions;

namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>What the people on the call are talking about when a number is said.</summary>
internal enum Topic : byte { None, Card, Cvv, Expiry, Pin, Ssn, Phone, BankAccount, Routing, Harmless }

internal readonly record struct TopicMention(Topic Topic, int Start, int End);

internal static partial class Topics
{
    // Longer phrases first: the regex takes the first alternative that matches at a position.
    [GeneratedRegex("""
        \b(?:
          (?<cvv>cvv2?|cvc2?|csc|security\s+code|verification\s+(?:code|value)|(?:three|3|four|4)[\s-]+digit\s+code|code\s+on\s+the\s+back|on\s+the\s+back|(?:three|3|four|4)\s+digits?\s+(?:on|at)\s+the\s+back|digits?\s+on\s+the\s+back|back\s+of\s+the\s+card)
        | (?<exp>expir(?:y|ation|es|ing|ed)|exp\s+date|valid\s+(?:thru|through|until)|good\s+(?:thru|through)|month\s+and\s+year)
        | (?<card>(?:credit|debit|bank|payment)\s+card|card\s+(?:number|no|ending)|card|cc|visa|master\s?card|amex|american\s+express|discover|long\s+number|ending\s+in|last\s+(?:four|4)\s+(?:digits\s+)?of\s+(?:the|your|my)\s+card)
        | (?<ssn>social\s+security|social|ssn|ss\s+number|tax\s+id|itin|taxpayer)
        | (?<pin>pin(?:\s+number|\s+code)?|passcode|pass\s+code)
        | (?<routing>routing|aba|sort\s+code|transit\s+number)
        | (?<account>(?:bank\s+|checking\s+|savings\s+)?account(?:\s+number|\s+no)?|acct|iban)
        | (?<phone>(?:tele)?phone|tel|mobile|cell|fax|call\s+(?:me|you|us|him|her)|call\s?back|reach\s+(?:me|you|us)|text\s+(?:me|you)|contact\s+number|whats\s?app|answering\s+at|messages?\s+to|office|desk|registered|landline|(?:work|cell|home|phone)\s+line|(?:my|your|the\s+best|a\s+good)\s+number)
        | (?<harmless>order|case|ticket|reference|ref|confirmation|invoice|tracking|version|room|flight|model|claim|item|page|step|zip|zip\s+code|postal|postcode|apartment|apt|suite|unit|box|street|st|avenue|road|floor|route|extension|ext|license|licence|year|years|minutes?|hours?|days?|weeks?|months?|dollars?|bucks|cents?|euros?|pounds?|percent|times|items?|people)
        )\b
        """, RegexOptions.IgnoreCase | RegexOptions.IgnorePatternWhitespace | RegexOptions.ExplicitCapture | RegexOptions.CultureInvariant)]
    private static partial Regex Keywords();

    private static readonly (string Group, Topic Topic)[] Groups =
    [
        ("cvv", Topic.Cvv), ("exp", Topic.Expiry), ("card", Topic.Card), ("ssn", Topic.Ssn), ("pin", Topic.Pin),
        ("routing", Topic.Routing), ("account", Topic.BankAccount), ("phone", Topic.Phone), ("harmless", Topic.Harmless),
    ];

    public static List<TopicMention> Find(string text)
    {
        var found = new List<TopicMention>();
        foreach (Match m in Keywords().Matches(text))
        {
            // our own placeholders ("[CARD]") are not somebody talking about cards: redaction stays idempotent
            if (m.Index > 0 && text[m.Index - 1] == '[')
            {
                continue;
            }
            foreach (var (group, topic) in Groups)
            {
                if (m.Groups[group].Success)
                {
                    found.Add(new TopicMention(topic, m.Index, m.Index + m.Length));
                    break;
                }
            }
        }
        return found;
    }

    /// <summary>Is this a sensitive topic, one that makes a bare number said under it personal data?</summary>
    public static bool IsSensitive(this Topic topic) => topic is not (Topic.None or Topic.Harmless);
}
