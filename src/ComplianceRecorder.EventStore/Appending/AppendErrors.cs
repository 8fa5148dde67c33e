using System.Net.Sockets;
using Npgsql;

namespace ComplianceRecorder.EventStore.Appending;

/// <summary>Classifies append errors by SqlState, never by message text.</summary>
public static class AppendErrors
{
    public static AppendFailure Classify(Exception e) => e switch
    {
        // a wrong expected version is the caller's to resolve; the committer never sets one
        ConcurrencyException { InnerException: PostgresException { SqlState: "P0409" } } => AppendFailure.Fatal,
        // a unique violation between two writers: appending again finds the other's row and skips it
        ConcurrencyException => AppendFailure.Transient,
        PostgresException p => ClassifyState(p.SqlState),
        NpgsqlException => AppendFailure.Transient,
        TimeoutException or IOException or SocketException => AppendFailure.Transient,
        ObjectDisposedException or OperationCanceledException => AppendFailure.Fatal,
        // thrown while serializing, before the store saw the batch (a NaN, a value JSON cannot hold): its content
        UnserializableEventException => AppendFailure.Refused,
        // anything else says nothing about the events: nothing accepted is dropped on a guess, so it is tried again
        _ => AppendFailure.Transient,
    };

    public static AppendFailure ClassifyState(string state) => state switch
    {
        "40001" or "40P01" => AppendFailure.Transient,                  // serialization failure, deadlock
        // the writer's lease lapsed and its calls were taken over (writer_fence): it must not write again
        "P0411" => AppendFailure.Fatal,
        "42501" or "42883" or "42P01" or "3D000" => AppendFailure.Fatal, // no privilege, no append_events, no table, no database
        _ when state.StartsWith("28", StringComparison.Ordinal) => AppendFailure.Fatal,         // authentication
        _ when state.StartsWith("22", StringComparison.Ordinal) => AppendFailure.Refused,       // data exception: \u0000, bad encoding, out of range
        _ when state.StartsWith("23", StringComparison.Ordinal) => AppendFailure.Refused,       // integrity constraint
        // 42 is the statement, not the event: a schema that drifted from this build (a column or type that is
        // not there) would turn every event into a refusal while readiness stayed green, so it stops recording
        _ when state.StartsWith("42", StringComparison.Ordinal) => AppendFailure.Fatal,
        _ when state.StartsWith("54", StringComparison.Ordinal) => AppendFailure.Refused,       // program limit: a key too large to index
        // 08 connection, 53 resources, 57P admin shutdown / cannot connect now, 57014 statement timeout, 58 I/O, and
        // anything unknown: nothing accepted is dropped on a guess, so it is tried again
        _ => AppendFailure.Transient,
    };

    /// <summary>The SqlState to record with a refusal; null when the event never reached the store.</summary>
    public static string? SqlState(Exception e) => e switch
    {
        PostgresException p => p.SqlState,
        ConcurrencyException { InnerException: PostgresException p } => p.SqlState,
        _ => null,
    };

    /// <summary>The reason without the event's content: PostgreSQL's message text (Npgsql keeps the detail, which may quote values, out of it).</summary>
    public static string Reason(Exception e) => e switch
    {
        PostgresException p => p.MessageText,
        _ => e.GetType().Name + ": " + e.Message,
    };
}
