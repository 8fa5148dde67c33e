using System.Text.Json;
using System.Text.Json.Serialization;

namespace ComplianceRecorder.Pipeline.Events;

/// <summary>
/// Every string an event carries passes here on its way to the store. PostgreSQL's jsonb refuses
/// <c>\u0000</c> (22P05) and text refuses a NUL byte (22021); a lone surrogate cannot be written as UTF-8
/// at all. Either would make the store refuse the whole batch, so each is replaced by U+FFFD, and
/// a clean string (all but never) is returned as it is, without copying.
/// </summary>
public sealed class JsonSafeString : JsonConverter<string>
{
    public override bool HandleNull => false;

    public static string Sanitize(string value) => NeedsFix(value) ? Fix(value) : value;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString();

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(Sanitize(value));

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString()!;

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(Sanitize(value));

    private static bool NeedsFix(string value)
    {
        var s = value.AsSpan();
        // both searches are vectorized; a surrogate found is only a fault when it is not half of a pair
        if (s.Contains('\0'))
        {
            return true;
        }
        var i = s.IndexOfAnyInRange('\uD800', '\uDFFF');
        while (i >= 0)
        {
            if (!char.IsHighSurrogate(s[i]) || i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
            {
                return true;
            }
            var next = s[(i + 2)..].IndexOfAnyInRange('\uD800', '\uDFFF');
            i = next < 0 ? -1 : i + 2 + next;
        }
        return false;
    }

    private static string Fix(string value) => string.Create(value.Length, value, static (dst, src) =>
    {
        for (var i = 0; i < src.Length; i++)
        {
            var c = src[i];
            if (c == '\0')
            {
                dst[i] = '\uFFFD';
            }
            else if (char.IsHighSurrogate(c) && i + 1 < src.Length && char.IsLowSurrogate(src[i + 1]))
            {
                dst[i] = c;
                dst[++i] = src[i];
            }
            else
            {
                dst[i] = char.IsSurrogate(c) ? '\uFFFD' : c;
            }
        }
    });
}
