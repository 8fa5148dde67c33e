namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>
/// A redacted utterance: the text as stored and shown, and where its placeholders are.
/// <see cref="Unsettled"/>: it ends in a number that the speaker's next final may turn out to continue
/// (a card read in two breaths), so a recorder holds it back briefly. <see cref="CorrectsPrevious"/>:
/// this utterance completed such a number, and here is the previous final of the same speaker redacted again.
/// </summary>
public sealed record RedactionResult(string Text, RedactedEntity[] Entities, bool Unsettled = false, RedactionResult? CorrectsPrevious = null)
{
    public int Count(EntityType type)
    {
        var n = 0;
        foreach (var e in Entities)
        {
            if (e.Type == type)
            {
                n++;
            }
        }
        return n;
    }
}
