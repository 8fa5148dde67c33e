using ComplianceRecorder.Development;
using ComplianceRecorder.Simulation;

namespace ComplianceRecorder.Tests.Simulation;

/// <summary>
/// A fixed handful of simulation seeds: each plays generated calls with personal data through the real
/// recorder process under its fault schedule, and the oracle's clauses must all hold. A failure prints the
/// seed, the plan and what happened; `simulate --seed N` replays it (README, "Fault simulation").
/// </summary>
public sealed class SimulationTests(SimulationTests.Cluster cluster) : IClassFixture<SimulationTests.Cluster>
{
    /// <summary>
    /// A server of the simulation's own, which its schedule stops and starts; outside the suite's
    /// "cr-test-pg-" sweep, which would take the folder of a server it finds stopped.
    /// </summary>
    public sealed class Cluster : IAsyncLifetime
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "cr-sim-pg-" + Guid.NewGuid().ToString("N")[..8]);

        public LocalPostgres Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await LocalPostgres.StartAsync(_dir, stopOnDispose: true);

        public async Task DisposeAsync()
        {
            await Server.DisposeAsync();
            Directory.Delete(_dir, recursive: true);
        }
    }

    // between them: socket drops and closes, reordered, duplicated and lost messages, 429s and timeouts on
    // REST calls, PostgreSQL stopped and started; one recorder alone (4; 3: sent SIGTERM as PostgreSQL comes back;
    // 26: killed), three partitioned instances (1), two partitioned with one killed and then sent SIGTERM (2), two or
    // three active-active (10, 20, 21), and two active-active with one sent SIGTERM and the other killed while
    // PostgreSQL is down (22)
    // (`simulate --seed N --plan` prints each schedule)
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(10)]
    [InlineData(20)]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(26)]
    public async Task A_seeded_run_of_calls_and_faults_keeps_every_promise_the_oracle_checks(int seed)
    {
        var result = await new SimulationRun(cluster.Server).RunAsync(SimulationPlan.Generate(seed));

        Assert.True(result.Clean, result.Report());
    }

    [Fact]
    public void A_seed_always_gives_the_same_calls_and_fault_schedule()
    {
        Assert.Equal(SimulationPlan.Generate(7).Describe(), SimulationPlan.Generate(7).Describe());
        Assert.NotEqual(SimulationPlan.Generate(7).Describe(), SimulationPlan.Generate(8).Describe());
    }
}
