using ComplianceRecorder.Pipeline.Input;

namespace ComplianceRecorder.Genesys;

/// <summary>Either dialect, as the pipeline sees it: decoded events, and whether it is connected now.</summary>
public interface ITranscriptSource
{
    IObservable<SourceEvent> Events();

    bool Connected { get; }

    int Reconnects { get; }
}
