namespace ComplianceRecorder.Emulator.Playback;

/// <summary>
/// The transcription session of one call on the wall clock: offsets are sent in real milliseconds
/// (scenario time divided by the speed), so source timestamps stay truthful in scaled time.
/// </summary>
internal sealed class CallClock(double speed)
{
    public DateTimeOffset Start { get; set; } = DateTimeOffset.UtcNow;

    public long Real(long scenarioMs) => (long)(scenarioMs / speed);

    /// <summary>Where an utterance starts in the transcription session (which starts a second into the call); live and stored transcripts both say this.</summary>
    public long UtteranceOffset(Emission e) => Real(e.OffsetMs + 1000);
}
