using System.Globalization;

namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// Digits of other scripts ("٤١١١", "۴۱۱۱", fullwidth "４１１１") are digits to a reader: an utterance holding them is read
/// with each such digit as its ASCII one. One character stands for one, so every offset found in the copy is an offset in
/// the original, and what is not masked is shown as it was said.
/// </summary>
internal static class UnicodeDigits
{
    /// <returns><paramref name="text"/> itself when it holds no such digit (an ASCII text is told by one vectorized search).</returns>
    public static string ToAscii(string text)
    {
        var from = text.AsSpan().IndexOfAnyExceptInRange('\0', '\u007f');
        if (from < 0)
        {
            return text;
        }
        // from one character past ASCII to the next (an accented name holds a few)
        while (from >= 0)
        {
            if (char.IsDigit(text[from]))
            {
                return Fold(text, from);
            }
            var next = text.AsSpan(from + 1).IndexOfAnyExceptInRange('\0', '\u007f');
            from = next < 0 ? -1 : from + 1 + next;
        }
        return text;
    }

    private static string Fold(string text, int first) => string.Create(text.Length, (text, first), static (into, state) =>
    {
        var (text, first) = state;
        text.AsSpan().CopyTo(into);
        for (var i = first; i < into.Length; i++)
        {
            // a decimal digit of any script in the basic plane (Arabic-Indic, Extended Arabic-Indic, Devanagari, fullwidth …)
            if (char.IsDigit(into[i]) && !char.IsAsciiDigit(into[i]))
            {
                into[i] = (char)('0' + CharUnicodeInfo.GetDecimalDigitValue(into[i]));
            }
        }
    });
}
