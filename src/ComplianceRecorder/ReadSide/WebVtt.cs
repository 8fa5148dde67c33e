using System.Globalization;
using System.Text;
using ComplianceRecorder.EventStore.Encryption;
using Npgsql;

namespace ComplianceRecorder.ReadSide;

/// <summary>A call's recorded finals as WebVTT, cue times from the segments' offsets, speakers by channel.</summary>
public static class WebVtt
{
    public static async Task WriteAsync(NpgsqlDataSource db, StoredText text, string call, TextWriter output, CancellationToken ct)
    {
        using var reading = text.Begin();
        await using var cmd = db.CreateCommand("""
            SELECT data->>'channel', (data->>'offsetMs')::bigint, (data->>'durationMs')::bigint, data->>'text', source_key
              FROM events WHERE stream_id = $1 AND type = 'segment_recorded' AND (data->>'isFinal')::boolean
             ORDER BY (data->>'offsetMs')::bigint, seq
            """);
        cmd.Parameters.AddWithValue(call);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var vtt = new StringBuilder("WEBVTT\n\n");
        var n = 0;
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var start = r.GetInt64(1);
            var end = start + Math.Max(1, r.GetInt64(2));
            var plain = await reading.OpenAsync(r.GetString(3), call, "segment_recorded", r.IsDBNull(4) ? null : r.GetString(4), ct).ConfigureAwait(false);
            vtt.Append(CultureInfo.InvariantCulture, $"{++n}\n{Cue(start)} --> {Cue(end)}\n<v {Speaker(r.GetString(0))}>{CueText(plain)}\n\n");
        }
        await output.WriteAsync(vtt, ct).ConfigureAwait(false);
    }

    /// <summary>Who spoke, by channel; the media dialect's BOTH is one mixed stream of agent and customer, so it names neither.</summary>
    public static string Speaker(string channel) => channel switch
    {
        "INTERNAL" => "Agent",
        "EXTERNAL" => "Customer",
        "BOTH" => "Both",
        _ => "Unknown",
    };

    private static string Cue(long ms) => TimeSpan.FromMilliseconds(ms).ToString(@"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);

    // WebVTT cue text is markup: its own escapes keep a transcript's "<" or "-->" from being read as such
    private static string CueText(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
