using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.ReadSide;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ComplianceRecorder.Tests.Hosting;

/// <summary>The recorder added to a web application of the user's own, as the README shows it.</summary>
public sealed class EmbeddingTests : IAsyncLifetime
{
    private readonly Database _db = new();
    private GenesysEmulator _emulator = null!;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        _emulator = await GenesysEmulator.StartAsync(new EmulatorOptions { Speed = 20, Loop = false });
    }

    public async Task DisposeAsync()
    {
        await _emulator.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task A_web_app_of_its_own_records_every_final_hears_them_as_an_observable_and_keeps_its_own_routes_open()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(RecorderProcess.Settings(_emulator, _db.ConnectionString).Select(kv => KeyValuePair.Create(kv.Key, (string?)kv.Value)));
        builder.Services.AddComplianceRecorder(builder.Configuration);
        var app = builder.Build();
        app.MapGet("/own", () => "the host's own route");
        app.MapComplianceRecorder();

        var finals = new ConcurrentQueue<Caption>();
        var completed = new TaskCompletionSource();
        // subscribed before the start: the observable is the host's for its whole life
        using var captions = app.Services.GetRequiredService<IObservable<Caption>>()
            .Subscribe(c => { if (c is { Kind: "segment", IsFinal: true }) finals.Enqueue(c); }, e => completed.TrySetException(e), () => completed.TrySetResult());
        var expected = _emulator.Scenario.Calls.Sum(c => c.Utterances.Count);
        await using (app)
        {
            await app.StartAsync();
            var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            using var http = new HttpClient { BaseAddress = url };

            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (finals.Count < expected && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            Assert.Equal(expected, finals.Count);

            // the recorder's fallback (auditor-only) and default scheme are not imposed on the host's own routes
            Assert.Equal("the host's own route", await http.GetStringAsync("/own"));
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/calls")).StatusCode);
            using var keyed = new HttpRequestMessage(HttpMethod.Get, "/api/calls");
            keyed.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "ops-key-for-tests");
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(keyed)).StatusCode);

            await app.StopAsync();
        }

        await completed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // what was captioned is what the store holds, redacted: no card number reached a subscriber
        Assert.Equal(expected, await _db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'segment_recorded' AND (data->>'isFinal')::boolean"));
        Assert.DoesNotContain(finals, c => System.Text.RegularExpressions.Regex.IsMatch(c.Text, @"\d{4}\D?\d{4}\D?\d{4}"));
    }
}
