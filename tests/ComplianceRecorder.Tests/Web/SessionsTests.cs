using ComplianceRecorder.Web;
using Microsoft.Extensions.Time.Testing;

namespace ComplianceRecorder.Tests.Web;

public sealed class SessionsTests
{
    [Fact]
    public void Past_its_capacity_the_session_table_lets_the_one_closest_to_expiry_go_and_keeps_the_rest()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));
        var sessions = new Sessions(time, TimeSpan.FromHours(1), capacity: 3);
        var tokens = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            tokens.Add(sessions.Open(new Caller($"viewer-{i}", Role.Viewer)));
            time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Null(sessions.Find(tokens[0]));
        Assert.Null(sessions.Find(tokens[1]));
        Assert.Equal(["viewer-2", "viewer-3", "viewer-4"], tokens[2..].Select(t => sessions.Find(t)?.Name));
    }

    [Fact]
    public void A_session_is_found_until_it_expires_and_not_after()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));
        var sessions = new Sessions(time, TimeSpan.FromHours(1));
        var token = sessions.Open(new Caller("auditor", Role.Auditor));

        time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(Role.Auditor, sessions.Find(token)?.Role);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(sessions.Find(token));
    }
}
