namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>What the people on the call are talking about when a number is said.</summary>
internal enum Topic : byte { None, Card, Cvv, Expiry, Pin, Ssn, Phone, BankAccount, Routing, Harmless }

internal readonly record struct TopicMention(Topic Topic, int Start, int End);

/// <summary>Finds the words and phrases that give a number its meaning, over the lexicon's scan.</summary>
internal static class Topics
{
    public static readonly (Topic Topic, string[] Phrases)[] Table =
    [
        (Topic.Cvv, ["cvv", "cvc", "csc", "security code", "verification code", "verification value", "digit code",
            "code on the back", "on the back", "digits on the back", "digit on the back", "back of the card"]),
        (Topic.Expiry, ["expiry", "expiration", "expires", "expiring", "expired", "expire", "exp date", "valid thru",
            "valid through", "valid until", "good thru", "good through", "month and year"]),
        (Topic.Card, ["card", "credit card", "debit card", "bank card", "payment card", "card number", "card no", "card ending",
            "cc", "visa", "mastercard", "master card", "amex", "american express", "discover", "long number", "ending in"]),
        (Topic.Ssn, ["social security", "social", "ssn", "ss number", "tax id", "itin", "taxpayer"]),
        (Topic.Pin, ["pin", "pin number", "pin code", "passcode", "pass code"]),
        (Topic.Routing, ["routing", "aba", "sort code", "transit number"]),
        (Topic.BankAccount, ["account", "account number", "account no", "bank account", "checking account", "savings account", "acct", "iban"]),
        (Topic.Phone, ["phone", "telephone", "tel", "mobile", "cell", "fax", "call me", "call you", "call us", "call him", "call her",
            "callback", "call back", "reach me", "reach you", "reach us", "text me", "text you", "contact number", "whatsapp",
            "whats app", "answering at", "message to", "messages to", "office", "desk", "registered", "landline", "work line",
            "cell line", "home line", "phone line", "my number", "your number", "the best number", "a good number"]),
        (Topic.Harmless, ["order", "case", "ticket", "reference", "ref", "confirmation", "invoice", "tracking", "version", "room",
            "flight", "model", "claim", "item", "items", "page", "step", "zip", "zip code", "postal", "postcode", "apartment", "apt",
            "suite", "unit", "box", "street", "st", "avenue", "road", "floor", "route", "extension", "ext", "license", "licence",
            "year", "years", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "month", "months", "dollar",
            "dollars", "bucks", "cent", "cents", "euro", "euros", "pound", "pounds", "percent", "times", "people"]),
    ];

    /// <summary>No mentions: what an utterance without a topic word holds. Never added to.</summary>
    public static readonly List<TopicMention> Empty = [];

    public static List<TopicMention> Find(string text, List<Token> toks)
    {
        List<TopicMention>? found = null;
        var all = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(toks);
        for (var i = 0; i < all.Length; i++)
        {
            ref readonly var t = ref all[i];
            // our own placeholders ("[CARD]") are not somebody talking about cards: redaction stays idempotent
            if (t.PhraseSet == 0 || (t.Start > 0 && text[t.Start - 1] == '['))
            {
                continue;
            }
            foreach (var phrase in Lexicon.PhraseSets[t.PhraseSet])
            {
                if (Matches(text, toks, i, phrase.Words) is { } last)
                {
                    (found ??= []).Add(new TopicMention(phrase.Topic, t.Start, toks[last].End));
                    i = last;
                    break;
                }
            }
        }
        return found ?? Empty;
    }

    /// <returns>The index of the phrase's last token when its other words follow token <paramref name="first"/>.</returns>
    private static int? Matches(string text, List<Token> toks, int first, string[] words)
    {
        var k = first;
        for (var w = 1; w < words.Length; w++)
        {
            // words of one phrase are separated by spaces or a hyphen, not by a sentence break
            k++;
            while (k < toks.Count && (toks[k].Kind == TokenKind.Space || (toks[k].Kind == TokenKind.Punct && text[toks[k].Start] == '-')))
            {
                k++;
            }
            if (k >= toks.Count || k == first + 1 || !text.AsSpan(toks[k].Start, toks[k].End - toks[k].Start).Equals(words[w], StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }
        return k;
    }

    /// <summary>
    /// "ending in" said without a card's name ("the one ending in 4567"): a card's words, but it says nothing of what ends so,
    /// and a social, a phone or an account is referred to the same way.
    /// </summary>
    public static bool IsBareEnding(string text, TopicMention m) =>
        m.Topic == Topic.Card && text.AsSpan(m.Start, m.End - m.Start).StartsWith("ending", StringComparison.OrdinalIgnoreCase);

    /// <summary>Is this a sensitive topic, one that makes a bare number said under it personal data?</summary>
    public static bool IsSensitive(this Topic topic) => topic is not (Topic.None or Topic.Harmless);
}
