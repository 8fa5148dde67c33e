using System.Reactive;
using ComplianceRecorder.Testing;
using static ComplianceRecorder.Testing.ReactiveTest;

namespace ComplianceRecorder.Tests.Testing;

public sealed class RecordedNotificationsTests
{
    [Fact]
    public void A_mismatch_is_reported_as_a_diff_spelled_as_the_test_writes_it()
    {
        Recorded<Notification<string>>[] recorded = [OnNext(900, "one moment"), OnNext(2_000, "it is \"4471\""), OnCompleted<string>(5_000)];

        var mismatch = Assert.Throws<RecordedMismatchException>(() =>
            recorded.AssertEqual(OnNext(900, "one moment"), OnNext(2_100, "it is \"4471\""), OnCompleted<string>(5_000)));

        Assert.Equal(
            """
            Recorded notifications differ from those expected (3 expected, 3 recorded; - expected only, + recorded only):
                OnNext(900, "one moment")
              - OnNext(2100, "it is \"4471\"")
              + OnNext(2000, "it is \"4471\"")
                OnCompleted(5000)

            """.ReplaceLineEndings(),
            mismatch.Message);
    }

    [Fact]
    public void Missing_and_extra_notifications_each_fail()
    {
        Recorded<Notification<int>>[] recorded = [OnNext(1, 1), OnNext(2, 2)];

        recorded.AssertEqual(OnNext(1, 1), OnNext(2, 2));
        Assert.Contains("  - OnNext(3, 3)", Assert.Throws<RecordedMismatchException>(() => recorded.AssertEqual(OnNext(1, 1), OnNext(2, 2), OnNext(3, 3))).Message, StringComparison.Ordinal);
        Assert.Contains("  + OnNext(2, 2)", Assert.Throws<RecordedMismatchException>(() => recorded.AssertEqual(OnNext(1, 1))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Of_keeps_one_kind_mapped_at_its_time_and_the_end_of_the_stream()
    {
        Recorded<Notification<object>>[] recorded = [OnNext<object>(10, "a"), OnNext<object>(20, 7), OnNext<object>(30, "b"), OnCompleted<object>(40)];

        recorded.Of((string s) => s.ToUpperInvariant()).AssertEqual(OnNext(10, "A"), OnNext(30, "B"), OnCompleted<string>(40));
        Assert.Equal(["a", 7, "b"], recorded.Values());
    }
}
