using ComplianceRecorder.EventStore;
using ComplianceRecorder.Verbs;
using Microsoft.Extensions.Time.Testing;

namespace ComplianceRecorder.Tests.Verbs;

public sealed class TerminalProgressTests
{
    [Fact]
    public void Progress_shows_events_done_the_rate_and_the_time_left_redrawn_in_place_at_most_every_quarter_second()
    {
        var time = new FakeTimeProvider();
        var output = new StringWriter();
        var progress = new TerminalProgress("rebuild audit", output, time);

        progress.Report(new EventProgress(0, 4000));
        time.Advance(TimeSpan.FromSeconds(10));
        progress.Report(new EventProgress(1000, 4000));
        time.Advance(TimeSpan.FromMilliseconds(100));
        progress.Report(new EventProgress(1010, 4000));
        time.Advance(TimeSpan.FromMilliseconds(100));
        progress.Report(new EventProgress(4000, 4000));

        Assert.Equal(
            "\rrebuild audit: 0/4,000 events, 0/s, time left unknown"
            + "\rrebuild audit: 1,000/4,000 events, 100/s, 0:00:30 left"
            + "\rrebuild audit: 4,000/4,000 events, 392/s, done" + new string(' ', 8) + Environment.NewLine,
            output.ToString());
    }
}
