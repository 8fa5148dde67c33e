namespace ComplianceRecorder.Recording;

/// <summary>A live-captions subscriber fell too far behind and was cut off; what it missed is in the store.</summary>
public sealed class CaptionsOverrunException(int bound)
    : Exception($"the subscriber fell {bound} captions behind and was cut off; read what it missed from the store (ReadSide.CaptionHistory) and subscribe again");
