using System.Reactive.Linq;
using ComplianceRecorder.EventStore.Appending;
using ComplianceRecorder.ReadSide;
using ComplianceRecorder.Recording;
using ComplianceRecorder.Tests.EventStore;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComplianceRecorder.Tests.Instances;

/// <summary>A caption consumer of one instance sees what the other instances on the store record (#15).</summary>
public sealed class PeerCaptionsTests(Database db) : IClassFixture<Database>
{
    [Fact]
    public async Task Finals_another_instance_records_become_captions_here_and_this_instances_own_do_not_twice()
    {
        var call = "peer-" + Guid.NewGuid().ToString("N")[..8];
        var heard = new List<Caption>();
        var got = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = System.Reactive.Observer.Create<Caption>(c =>
        {
            lock (heard)
            {
                heard.Add(c);
                if (heard.Count(h => h.ConversationId == call) >= 2)
                {
                    got.TrySetResult();
                }
            }
        });
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var peers = new PeerCaptions(db.DataSource, db.Text, "here", sink, TimeProvider.System, NullLogger.Instance);
        var running = Task.Run(() => peers.RunAsync(stop.Token, after: 0));

        await db.SealingStore("elsewhere").AppendAsync([new PendingEvent(EventStoreTests.Segment(call, "u1", 1, true, "said elsewhere"))]);
        await db.SealingStore("here").AppendAsync([new PendingEvent(EventStoreTests.Segment(call, "u2", 1, true, "said here"))]);
        await db.SealingStore("elsewhere").AppendAsync([new PendingEvent(EventStoreTests.Segment(call, "u3", 1, true, "said elsewhere again"))]);
        await got.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await running;

        List<Caption> mine;
        lock (heard)
        {
            mine = [.. heard.Where(h => h.ConversationId == call)];
        }
        Assert.Equal(["u1", "u3"], mine.Select(c => c.UtteranceId));
        Assert.Equal("said elsewhere", mine[0].Text);
    }
}
