using System.Text;

namespace ComplianceRecorder.Pipeline.Normalization;

/// <summary>
/// Runs on every partial, so it is one pass with no regex: whitespace collapsed, punctuation spacing
/// kept ("Hello. World" stays so), control characters dropped, a character repeated more than
/// <see cref="MaxRepeat"/> times cut to that, and the result in Unicode NFC.
/// </summary>
public static class TextNormalizer
{
    public const int MaxRepeat = 3;

    public static string Normalize(string text)
    {
        if (!NeedsWork(text))
        {
            return text;
        }
        var sb = new StringBuilder(text.Length);
        var pendingSpace = false;
        var last = '\0';
        var repeat = 0;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = sb.Length > 0;
                continue;
            }
            if (char.IsControl(c) || c is '\u200B' or '\uFEFF')
            {
                continue;
            }
            if (pendingSpace)
            {
                sb.Append(' ');
                pendingSpace = false;
                last = ' ';
                repeat = 0;
            }
            repeat = c == last ? repeat + 1 : 1;
            last = c;
            if (repeat > MaxRepeat && !char.IsAsciiDigit(c))
            {
                continue;
            }
            sb.Append(c);
        }
        var s = sb.ToString();
        return s.IsNormalized(NormalizationForm.FormC) ? s : s.Normalize(NormalizationForm.FormC);
    }

    private static bool NeedsWork(string text)
    {
        if (text.Length == 0)
        {
            return false;
        }
        if (char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1]))
        {
            return true;
        }
        var last = '\0';
        var repeat = 0;
        foreach (var c in text)
        {
            if ((char.IsWhiteSpace(c) && (c != ' ' || last == ' ')) || char.IsControl(c) || c > '\u007F')
            {
                return true;
            }
            repeat = c == last ? repeat + 1 : 1;
            if (repeat > MaxRepeat && !char.IsAsciiDigit(c))
            {
                return true;
            }
            last = c;
        }
        return false;
    }
}
