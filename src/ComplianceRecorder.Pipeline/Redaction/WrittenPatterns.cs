namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// Entities with a fixed written or spoken form (emails, IBANs, IP addresses) claimed before numbers
/// are read, so their digits are not counted twice and spans never overlap.
/// </summary>
internal static class WrittenPatterns
{
    public static void Claim(string text, Cues cues, Span<bool> claimed, List<RedactedEntity> spans)
    {
        // cheap tests first: most utterances hold none of these, and the patterns are the costly part
        if (text.Contains('@'))
        {
            ClaimMatches(Patterns.WrittenEmail(), EntityType.Email, text, claimed, spans, null);
        }
        // a spoken address always says "dot" (or "underscore"), written ones hold '@' or '.'
        if ((cues & Cues.SpokenDot) != 0 || ((cues & Cues.SpokenAt) != 0 && AtWrittenDomain(text)))
        {
            ClaimMatches(Patterns.SpokenEmail(), EntityType.Email, text, claimed, spans, null);
            ClaimMatches(Patterns.UnfinishedSpokenEmail(), EntityType.Email, text, claimed, spans, null);
        }
        var digit = text.AsSpan().IndexOfAnyInRange('0', '9');
        if (digit < 0)
        {
            return;
        }
        if ((cues & Cues.GluedDigits) != 0 && MayHoldIban(text))
        {
            ClaimIbans(text, claimed, spans);
        }
        if (HasDigitDotDigit(text))
        {
            ClaimMatches(Patterns.IpV4(), EntityType.IpAddress, text, claimed, spans, null);
        }
        if (text.AsSpan().Count(':') >= 2)
        {
            ClaimMatches(Patterns.IpV6(), EntityType.IpAddress, text, claimed, spans, static s => s.Count(':') >= 2 && s.ContainsAnyInRange('0', '9'));
        }
    }

    // "john at gmail.com": " at " followed by a word with a dot inside it
    private static bool AtWrittenDomain(string text)
    {
        var at = text.IndexOf(" at ", StringComparison.OrdinalIgnoreCase);
        while (at >= 0)
        {
            var word = text.AsSpan(at + 4);
            var end = word.IndexOfAny(' ', '\n');
            word = end < 0 ? word : word[..end];
            var dot = word.IndexOf('.');
            if (dot > 0 && dot + 1 < word.Length && char.IsAsciiLetter(word[dot + 1]))
            {
                return true;
            }
            at = text.IndexOf(" at ", at + 4, StringComparison.OrdinalIgnoreCase);
        }
        return false;
    }

    private static bool HasDigitDotDigit(string text)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        while (dot > 0 && dot + 1 < text.Length)
        {
            if (char.IsAsciiDigit(text[dot - 1]) && char.IsAsciiDigit(text[dot + 1]))
            {
                return true;
            }
            dot = text.IndexOf('.', dot + 1);
        }
        return false;
    }

    // An IBAN starts with two letters and two digits; without that, the pattern need not run.
    private static bool MayHoldIban(string text)
    {
        // from digit to digit by a vectorized search: most of a sentence is letters and spaces
        var span = text.AsSpan();
        for (var i = span.IndexOfAnyInRange('0', '9'); i >= 0 && i + 1 < span.Length;)
        {
            if (i >= 2 && char.IsAsciiDigit(span[i + 1]) && char.IsAsciiLetter(span[i - 1]) && char.IsAsciiLetter(span[i - 2]))
            {
                return true;
            }
            var next = span[(i + 1)..].IndexOfAnyInRange('0', '9');
            i = next < 0 ? -1 : i + 1 + next;
        }
        return false;
    }

    // The pattern may run on into the next word ("GB29…19 to"); the checksum finds where the IBAN ends.
    private static void ClaimIbans(string text, Span<bool> claimed, List<RedactedEntity> spans)
    {
        foreach (var m in Patterns.Iban().EnumerateMatches(text))
        {
            var length = m.Length;
            while (length >= 15 && !Checksums.Iban(text.AsSpan(m.Index, length)))
            {
                var cut = text.AsSpan(m.Index, length).LastIndexOf(' ');
                length = cut < 0 ? 0 : cut;
            }
            if (length >= 15 && !claimed.Slice(m.Index, length).Contains(true))
            {
                claimed.Slice(m.Index, length).Fill(true);
                spans.Add(new RedactedEntity(EntityType.Iban, m.Index, m.Index + length));
            }
        }
    }

    private delegate bool Validator(ReadOnlySpan<char> value);

    private static void ClaimMatches(System.Text.RegularExpressions.Regex regex, EntityType type, string text, Span<bool> claimed, List<RedactedEntity> spans, Validator? valid)
    {
        foreach (var m in regex.EnumerateMatches(text))
        {
            // an earlier, more specific pattern may already own part of this match: spans never overlap
            if (claimed.Slice(m.Index, m.Length).Contains(true) || (valid is not null && !valid(text.AsSpan(m.Index, m.Length))))
            {
                continue;
            }
            claimed.Slice(m.Index, m.Length).Fill(true);
            spans.Add(new RedactedEntity(type, m.Index, m.Index + m.Length));
        }
    }
}
