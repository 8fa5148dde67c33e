namespace ComplianceRecorder.Testing;

/// <summary>Which Genesys wire a scripted call is heard over; it decides how frames are numbered.</summary>
public enum Dialect
{
    /// <summary>The Notifications API: frames are not numbered; utterances carry ids, offsets and a communication id.</summary>
    Notifications,

    /// <summary>The seed tutorial's Media API: one mixed channel, every frame numbered by eventSequence from 1.</summary>
    Media,
}
