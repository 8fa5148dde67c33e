using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.Genesys;
using ComplianceRecorder.Hosting;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ComplianceRecorder.Tests.Instances;

/// <summary>An instance's membership loops against the store (#15), in this process.</summary>
public sealed class InstanceMembershipTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task A_claim_whose_calls_take_long_to_follow_does_not_hold_up_the_instances_own_heartbeat()
    {
        var name = "busy-" + Guid.NewGuid().ToString("N")[..8];
        var options = Options.Create(new InstanceOptions { Name = name, Mode = InstanceOptions.Partitioned, HeartbeatSeconds = 0.2, LeaseSeconds = 60 });
        var membership = new InstanceMembership(options, db.DataSource, new WriterLease(name), new GenesysOptions { QueueIds = ["q"] }, TimeProvider.System,
            new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance), NullLogger<InstanceMembership>.Instance);
        var busy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // following what the periodic claim hands over (subscriptions, gaps) takes as long as the test wants
        membership.Claimed = async (_, ct) =>
        {
            busy.TrySetResult();
            await done.Task.WaitAsync(ct);
        };
        await membership.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal(CallTaking.Follow, await membership.ClaimAsync("busy-call-" + name, CancellationToken.None));
            await busy.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var before = await db.ScalarAsync<DateTime>($"SELECT heartbeat_at FROM recorder_instances WHERE name = '{name}'");

            // while the claim's handler is still busy, the lease is renewed
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!await db.ScalarAsync<bool>($"SELECT heartbeat_at > '{before:O}' FROM recorder_instances WHERE name = '{name}'"))
            {
                Assert.True(DateTime.UtcNow < deadline, "no heartbeat while the claim's handler was busy");
                await Task.Delay(50);
            }
            Assert.False(done.Task.IsCompleted);
        }
        finally
        {
            done.TrySetResult();
            await membership.StopAsync(CancellationToken.None);
            await membership.DisposeAsync();
        }
    }
}
