using System.Net.Http.Headers;
using ComplianceRecorder.Hosting;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace ComplianceRecorder.Tests.Web;

/// <summary>A caption consumer connected when the recorder stops.</summary>
public sealed class CaptionStreamStopTests(Database db) : IClassFixture<Database>
{
    // well inside the host's own shutdown timeout (30 s), which is how long an open stream held the stop before
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Stopping_ends_open_caption_streams_instead_of_waiting_for_their_consumers()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:EventStore"] = db.ConnectionString,
            ["Recorder:Url"] = "http://127.0.0.1:0",
            ["Recorder:CheckpointKey"] = Convert.ToBase64String(new byte[32]),
            // never the repository's .data/spill: a stop with the store down would hand its events to the next test
            ["Recorder:SpillDirectory"] = Path.Combine(Path.GetTempPath(), "cr-spill-" + Guid.NewGuid().ToString("N")),
            ["Emulator:Scenario"] = "idle:1",
            ["Emulator:Loop"] = "false",
        }).Build();
        var host = await RecorderHost.StartAsync(config, demo: true, logs: new CapturedLogs());
        Task stopping;
        using (var http = new HttpClient { BaseAddress = host.Url, Timeout = Timeout.InfiniteTimeSpan })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/captions/stream");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", host.Access.DemoKey);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.Equal("retry: 1000", await reader.ReadLineAsync());

            stopping = host.DisposeAsync().AsTask();
            // the stream ends from the server's side, while the consumer is still reading
            await reader.ReadToEndAsync().WaitAsync(Patience);
        }
        await stopping.WaitAsync(Patience);
    }
}
