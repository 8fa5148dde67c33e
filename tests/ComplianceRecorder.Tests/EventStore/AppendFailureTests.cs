using ComplianceRecorder.EventStore.Appending;

namespace ComplianceRecorder.Tests.EventStore;

/// <summary>What an append error means: only an event's own content may turn it into a refusal.</summary>
public sealed class AppendFailureTests
{
    [Theory]
    [InlineData("22P05", AppendFailure.Refused)] // \u0000 in jsonb
    [InlineData("23514", AppendFailure.Refused)] // a check constraint on the event
    [InlineData("54000", AppendFailure.Refused)] // a key too large to index
    [InlineData("42703", AppendFailure.Fatal)]   // a column the statement expects is not there: the schema drifted
    [InlineData("42804", AppendFailure.Fatal)]   // a type the statement expects differs: the schema drifted
    [InlineData("42501", AppendFailure.Fatal)]   // no privilege
    [InlineData("08006", AppendFailure.Transient)]
    [InlineData("57P01", AppendFailure.Transient)]
    [InlineData("XX000", AppendFailure.Transient)]
    public void A_sql_state_is_classified_by_what_it_says_about_the_events(string state, AppendFailure expected) =>
        Assert.Equal(expected, AppendErrors.ClassifyState(state));

    [Fact]
    public void An_error_that_says_nothing_about_the_events_is_tried_again_never_taken_for_a_refusal()
    {
        Assert.Equal(AppendFailure.Transient, AppendErrors.Classify(new InvalidOperationException("a connection in a bad state")));
        Assert.Equal(AppendFailure.Transient, AppendErrors.Classify(new ArgumentException("a parameter the driver did not take")));
        var segment = EventStoreTests.Segment("call-1", "u-1", 1, true, "hello");
        Assert.Equal(AppendFailure.Refused, AppendErrors.Classify(new UnserializableEventException(segment, new ArgumentException(".NaN cannot be written as JSON"))));
    }
}
