using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.ReadSide;
using ComplianceRecorder.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComplianceRecorder.Tests.Hosting;

/// <summary>The recorder added to a web application of the user's own, as the README shows it.</summary>
public sealed class EmbeddingTests : EmulatorAndDatabase
{
    /// <summary>A web application of the user's own on a free loopback port, configured for the emulator and the test database.</summary>
    private WebApplicationBuilder Builder()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(Settings.Select(kv => KeyValuePair.Create(kv.Key, (string?)kv.Value)));
        return builder;
    }

    [Fact]
    public async Task A_web_app_of_its_own_records_every_final_and_a_subscriber_hears_them_all_though_others_throw_or_block()
    {
        var builder = Builder();
        builder.Services.AddComplianceRecorder(builder.Configuration);
        var app = builder.Build();
        app.MapGet("/own", () => "the host's own route");
        app.MapComplianceRecorder();

        var finals = new ConcurrentQueue<Caption>();
        var completed = new TaskCompletionSource();
        var live = app.Services.GetRequiredService<IObservable<Caption>>();
        // subscribed before the start: the observable is the host's for its whole life
        using var captions = live.Subscribe(c => { if (c is { Kind: "segment", IsFinal: true }) finals.Enqueue(c); }, e => completed.TrySetException(e), () => completed.TrySetResult());
        // an embedder's bugs: neither may hold back the recording or the subscriber above
        using var thrower = live.Subscribe(_ => throw new InvalidOperationException("a subscriber's bug"));
        using var release = new ManualResetEventSlim();
        using var blocker = live.Subscribe(_ => release.Wait());
        var expected = Emulator.Scenario.Calls.Sum(c => c.Utterances.Count);
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

            release.Set();
            await app.StopAsync();
        }

        await completed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // what was captioned is what the store holds, redacted: no card number reached a subscriber
        Assert.Equal(expected, await Db.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'segment_recorded' AND (data->>'isFinal')::boolean"));
        Assert.DoesNotContain(finals, c => System.Text.RegularExpressions.Regex.IsMatch(c.Text, @"\d{4}\D?\d{4}\D?\d{4}"));
    }

    [Fact]
    public async Task A_host_with_a_scheme_of_its_own_keeps_it_and_neither_credential_opens_the_others_routes()
    {
        var builder = Builder();
        // the host's own scheme, registered without naming it the default: ASP.NET Core makes a lone scheme the default
        builder.Services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, HostUsers>("host", null);
        builder.Services.AddAuthorization();
        builder.Services.AddComplianceRecorder(builder.Configuration);
        await using var app = builder.Build();
        app.MapGet("/mine", (ClaimsPrincipal user) => user.Identity!.Name).RequireAuthorization();
        app.MapComplianceRecorder();
        await app.StartAsync();
        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var http = new HttpClient { BaseAddress = url };

        async Task<HttpStatusCode> GetAsync(string path, string? hostUser, string? recorderKey)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (hostUser is not null)
            {
                request.Headers.Add("X-Host-User", hostUser);
            }
            if (recorderKey is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", recorderKey);
            }
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await GetAsync("/mine", "alice", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync("/mine", null, "ops-key-for-tests"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync("/api/calls", "alice", null));
        Assert.Equal(HttpStatusCode.OK, await GetAsync("/api/calls", null, "ops-key-for-tests"));
        await app.StopAsync();
    }

    /// <summary>A host's own sign-in: whoever the X-Host-User header names.</summary>
    private sealed class HostUsers(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
            Task.FromResult(Request.Headers["X-Host-User"].ToString() is { Length: > 0 } name
                ? AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], Scheme.Name)), Scheme.Name))
                : AuthenticateResult.NoResult());
    }
}
