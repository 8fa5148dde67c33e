using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ComplianceRecorder.Emulator;
using ComplianceRecorder.Emulator.AudioHook;
using ComplianceRecorder.Genesys.AudioHook;
using ComplianceRecorder.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ComplianceRecorder.Tests.AudioHook;

/// <summary>
/// The recorder as AudioHook server against the emulator's client, over real sockets into real PostgreSQL:
/// the upgrade's checks, open→opened, pause, close, malformed frames, a dropped socket; and end to end, a
/// synthesized call with a card number read out.
/// </summary>
public sealed class AudioHookContractTests(AudioHookHost host, ITestOutputHelper output) : IClassFixture<AudioHookHost>
{
    private static ScriptedCall ShortCall() => new(Guid.NewGuid().ToString(), 0, [new ScriptedUtterance("INTERNAL", 200, "Thank you for calling.")]);

    [Fact]
    public void The_protocols_signature_test_vector_verifies_and_any_change_to_it_does_not()
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Audiohook-Organization-Id"] = "d7934305-0972-4844-938e-9060eef73d05",
            ["Audiohook-Correlation-Id"] = "e160e428-53e2-487c-977d-96989bf5c99d",
            ["Audiohook-Session-Id"] = "30b0e395-84d3-4570-ac13-9a62d8f514c0",
            ["X-API-KEY"] = "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh",
            ["Signature"] = "sig1=:NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4=:",
            ["Signature-Input"] = "sig1=(\"@request-target\" \"@authority\" \"audiohook-organization-id\" \"audiohook-session-id\" \"audiohook-correlation-id\" \"x-api-key\");keyid=\"SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh\";nonce=\"VGhpc0lzQVVuaXF1ZU5vbmNl\";alg=\"hmac-sha256\";created=1641013200;expires=3282026430",
        };
        var options = new AudioHookOptions { ApiKey = "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh", ClientSecret = "TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=" };
        string? Check(Dictionary<string, string> h, string authority = "audiohook.example.com") =>
            MessageSignature.Check(n => h.GetValueOrDefault(n), "/api/v1/voicebiometrics/ws", authority, options, now: null);

        Assert.Null(Check(headers));
        Assert.Equal("the signature does not match", Check(headers, authority: "proxy.example.com"));
        Assert.Equal("the signature does not match", Check(new(headers, StringComparer.OrdinalIgnoreCase) { ["Audiohook-Correlation-Id"] = Guid.NewGuid().ToString() }));
        Assert.Equal("missing or unknown X-API-KEY", Check(new(headers, StringComparer.OrdinalIgnoreCase) { ["X-API-KEY"] = "another" }));
        Assert.Equal("the request is not signed, and the API key has a client secret", Check(new(headers.Where(h => h.Key != "Signature"), StringComparer.OrdinalIgnoreCase)));
        // with the time checks on, the vector's created (2022) is long past
        Assert.Equal("the signature is not current (created, expires)",
            MessageSignature.Check(n => headers.GetValueOrDefault(n), "/api/v1/voicebiometrics/ws", "audiohook.example.com", options, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task An_upgrade_signed_with_another_secret_or_without_the_key_is_refused_with_401_and_a_good_one_is_opened()
    {
        var bad = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, ShortCall(), 4, new AudioHookFaults { BadSignature = true });
        Assert.Equal(401, bad.RefusedWith);
        var wrongKey = await AudioHookClient.PlayAsync(host.Socket, host.Credentials with { ApiKey = "not-the-key" }, ShortCall(), 4);
        Assert.Equal(401, wrongKey.RefusedWith);

        var good = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, ShortCall(), 4);
        Assert.Null(good.RefusedWith);
        Assert.Contains("opened", good.Received);
        // neither the key nor the secret ever reaches a log line
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains(host.Credentials.ApiKey, StringComparison.Ordinal) || l.Contains(host.Credentials.ClientSecret, StringComparison.Ordinal));
        Assert.Contains(host.Logs.Lines, l => l.Contains("AudioHook upgrade refused: the signature does not match", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Open_is_answered_with_opened_inside_genesys_limit_even_when_the_open_comes_late()
    {
        var outcome = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, ShortCall(), 4, new AudioHookFaults { OpenDelay = TimeSpan.FromSeconds(2) });
        // the client gives up after 5 s (Genesys' 408) and then reports no OpenedAfter
        Assert.NotNull(outcome.OpenedAfter);
        output.WriteLine($"open → opened: {outcome.OpenedAfter!.Value.TotalMilliseconds:F1} ms");
        Assert.Equal("opened", outcome.Received[0]);
    }

    [Fact]
    public async Task Close_is_answered_with_closed_and_the_call_ends_with_that_reason()
    {
        var call = ShortCall();
        var outcome = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, call, 4);
        Assert.True(outcome.Closed, string.Join(",", outcome.Received));
        Assert.Equal("closed", outcome.Received[^1]);
        await host.CallEndedAsync(call.ConversationId);
        Assert.Equal("the AudioHook session closed (end)", await host.Database.ScalarAsync<string>($"SELECT data->>'reason' FROM events WHERE type = 'call_ended' AND stream_id = '{call.ConversationId}'"));
    }

    [Fact]
    public async Task A_pause_is_recorded_as_a_gap_with_its_reason_and_the_session_goes_on()
    {
        var call = new ScriptedCall(Guid.NewGuid().ToString(), 0, [new ScriptedUtterance("EXTERNAL", 200, "Thank you for calling."), new ScriptedUtterance("INTERNAL", 5000, "Goodbye.")]);
        var outcome = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, call, 4, new AudioHookFaults { PauseAt = TimeSpan.FromSeconds(2), PauseFor = TimeSpan.FromSeconds(2) });
        Assert.True(outcome.Closed);
        await host.CallEndedAsync(call.ConversationId);
        var detail = await host.Database.ScalarAsync<string>($"SELECT string_agg(data->>'detail', ' | ') FROM events WHERE type = 'coverage_gap_recorded' AND stream_id = '{call.ConversationId}'");
        Assert.Contains("audio paused by Genesys", detail, StringComparison.Ordinal);
        Assert.Contains("2.0 s not sent", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_frames_are_quarantined_without_their_card_number_and_the_session_goes_on()
    {
        var before = await host.Database.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'frame_quarantined' AND data->>'reason' LIKE 'AudioHook:%'");
        var outcome = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, ShortCall(), 4, new AudioHookFaults { Garbage = true });
        Assert.True(outcome.Closed);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && await host.Database.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'frame_quarantined' AND data->>'reason' LIKE 'AudioHook:%'") < before + 2)
        {
            await Task.Delay(200);
        }
        var reasons = await host.Database.ScalarAsync<string>("SELECT string_agg(data->>'reason', ' | ') FROM events WHERE type = 'frame_quarantined'");
        Assert.Contains("AudioHook: not an AudioHook message: not JSON", reasons, StringComparison.Ordinal);
        Assert.Contains("AudioHook: audio frame of 3 bytes is not whole 2-channel samples", reasons, StringComparison.Ordinal);
        Assert.Contains("AudioHook: unexpected message of an unknown type", reasons, StringComparison.Ordinal);
        Assert.Contains("AudioHook: not an AudioHook message: 'position' is not an ISO 8601 duration", reasons, StringComparison.Ordinal);
        // the frames as an auditor reads them back (opened with their key), and the reasons, which are stored in clear
        var plain = await host.PlainStoreAsync();
        Assert.Contains("not json", plain, StringComparison.Ordinal);
        foreach (var card in new[] { "4111 1111", "41111111", "4111111111111111" })
        {
            Assert.DoesNotContain(card, plain, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_flood_of_malformed_frames_is_kept_as_ten_and_a_count_and_the_session_is_disconnected()
    {
        var before = await host.Database.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'frame_quarantined' AND data->>'reason' LIKE 'AudioHook:%'");
        var outcome = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, ShortCall(), 4, new AudioHookFaults { GarbageFrames = 300 });
        Assert.Contains("disconnect", outcome.Received);
        var summary = await host.QuarantineSayingAsync("more malformed frames, counted and not kept one by one (the first 10 were)");
        Assert.NotNull(summary);
        Assert.True(await host.Database.ScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'frame_quarantined' AND data->>'reason' LIKE 'AudioHook:%'") <= before + 11);
    }

    [Fact]
    public async Task A_replayed_upgrade_is_refused_with_401_under_any_spelling_of_its_signature()
    {
        var signed = AudioHookClient.SignedHeaders(host.Socket, host.Credentials, Guid.NewGuid().ToString());
        async Task<int> UpgradeAsync(Func<string, string, string>? respell = null)
        {
            // the label is not signed and base64 may carry whitespace: neither makes the same signature a new one
            var headers = signed.Select(h => (h.Item1, respell is null ? h.Item2 : respell(h.Item1, h.Item2)));
            using var ws = new System.Net.WebSockets.ClientWebSocket();
            ws.Options.CollectHttpResponseDetails = true;
            foreach (var (name, value) in headers)
            {
                ws.Options.SetRequestHeader(name, value);
            }
            try
            {
                await ws.ConnectAsync(host.Socket, CancellationToken.None);
                ws.Abort();
            }
            catch (System.Net.WebSockets.WebSocketException)
            {
                // refused: the status says how
            }
            return (int)ws.HttpStatusCode;
        }

        Assert.Equal(101, await UpgradeAsync());
        Assert.Equal(401, await UpgradeAsync());
        Assert.Equal(401, await UpgradeAsync((_, v) => v.Replace("sig1=", "zz=", StringComparison.Ordinal)));
        Assert.Equal(401, await UpgradeAsync((name, v) => name == "Signature" ? v.Insert(v.IndexOf("=:", StringComparison.Ordinal) + 6, " ") : v));
        Assert.Contains(host.Logs.Lines, l => l.Contains("the signature was used before (a replayed upgrade)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dropped_socket_ends_the_call_saying_the_rest_was_not_heard()
    {
        var call = new ScriptedCall(Guid.NewGuid().ToString(), 0, [new ScriptedUtterance("EXTERNAL", 200, "Thank you for calling, goodbye.")]);
        var outcome = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, call, 4, new AudioHookFaults { DropAt = TimeSpan.FromSeconds(1) });
        Assert.False(outcome.Closed);
        await host.CallEndedAsync(call.ConversationId);
        Assert.Contains("ended without a close", await host.Database.ScalarAsync<string>($"SELECT data->>'reason' FROM events WHERE type = 'call_ended' AND stream_id = '{call.ConversationId}'"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_that_drops_is_continued_by_the_next_for_that_call_and_the_interval_between_them_is_a_gap()
    {
        var id = Guid.NewGuid().ToString();
        var first = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, new ScriptedCall(id, 0, [new ScriptedUtterance("EXTERNAL", 200, "Thank you for calling.")]), 4,
            new AudioHookFaults { DropAt = TimeSpan.FromSeconds(2) });
        Assert.False(first.Closed);
        var second = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, new ScriptedCall(id, 0, [new ScriptedUtterance("INTERNAL", 200, "The payment went through, thank you, goodbye.")]), 4);
        Assert.True(second.Closed, string.Join(",", second.Received));
        await host.CallEndedAsync(id);

        Assert.Contains("another continued the call", await host.GapDetailsAsync(id), StringComparison.Ordinal);
        Assert.True(await host.SegmentsAsync(id, "INTERNAL") > 0, "the second session's speech is recorded");
        Assert.Equal(0, await host.LateArrivalsAsync(id));
        Assert.Equal("the AudioHook session closed (end)", await host.Database.ScalarAsync<string>($"SELECT data->>'reason' FROM events WHERE type = 'call_ended' AND stream_id = '{id}'"));
    }

    [Fact]
    public async Task A_second_session_for_a_call_another_session_holds_is_refused_and_cannot_end_or_silence_it()
    {
        var id = Guid.NewGuid().ToString();
        var owner = AudioHookClient.PlayAsync(host.Socket, host.Credentials, new ScriptedCall(id, 0,
            [new ScriptedUtterance("EXTERNAL", 200, "Thank you for calling."), new ScriptedUtterance("INTERNAL", 6000, "The payment went through, thank you, goodbye.")]), 2);
        await host.HeldAsync(id);

        var intruder = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, ShortCall() with { ConversationId = id }, 4);
        Assert.Contains("disconnect", intruder.Received);
        Assert.DoesNotContain("opened", intruder.Received);

        Assert.True((await owner).Closed);
        await host.CallEndedAsync(id);
        Assert.True(await host.SegmentsAsync(id, "INTERNAL") > 0, "the holder's speech after the intruder left is recorded");
        Assert.Equal(0, await host.LateArrivalsAsync(id));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-conversation")]
    public async Task An_open_whose_conversation_id_is_not_a_guid_is_refused_with_disconnect(string id)
    {
        // an empty id was opened, held a session slot for ever and was never ended
        var outcome = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, ShortCall() with { ConversationId = id }, 4);

        Assert.Contains("disconnect", outcome.Received);
        Assert.DoesNotContain("opened", outcome.Received);
    }

    [Fact]
    public async Task A_call_past_the_session_limit_is_refused_with_disconnect_and_recorded_as_a_gap()
    {
        // the fixture's own call first, so the three held here are the limit's three
        await host.CallEndedAsync(AudioHookHost.CardCall.ConversationId);
        ScriptedCall Long() => new(Guid.NewGuid().ToString(), 0, [new ScriptedUtterance("EXTERNAL", 200, "Thank you for calling."), new ScriptedUtterance("INTERNAL", 6000, "Goodbye.")]);
        ScriptedCall[] held = [Long(), Long(), Long()];
        var playing = new List<Task<AudioHookOutcome>>();
        foreach (var call in held)
        {
            playing.Add(AudioHookClient.PlayAsync(host.Socket, host.Credentials, call, 2));
            await host.HeldAsync(call.ConversationId);
        }

        var refused = ShortCall();
        var outcome = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, refused, 4);
        Assert.Contains("disconnect", outcome.Received);
        Assert.DoesNotContain("opened", outcome.Received);
        Assert.Contains("the limit (Genesys:AudioHook:MaxSessions); none of its audio was heard",
            await host.GapSayingAsync(refused.ConversationId, "Genesys:AudioHook:MaxSessions"), StringComparison.Ordinal);
        Assert.All(await Task.WhenAll(playing), o => Assert.True(o.Closed));

        // the gap covers the call from its open, not an instant: its end is not known, so it ends when the call is let go
        await host.CallEndedAsync(refused.ConversationId);
        var gap = await host.Database.ScalarAsync<string>(
            $"SELECT (data->>'from') || '|' || (data->>'to') || '|' || (data->>'detail') FROM events WHERE type = 'coverage_gap_recorded' AND stream_id = '{refused.ConversationId}'");
        var parts = gap.Split('|');
        Assert.True(DateTimeOffset.Parse(parts[1], CultureInfo.InvariantCulture) > DateTimeOffset.Parse(parts[0], CultureInfo.InvariantCulture), gap);
        Assert.Contains("end is not known to the recorder", parts[2], StringComparison.Ordinal);
        Assert.Contains("Recorder:CallIdleSeconds", parts[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pause_never_resumed_is_a_gap_whether_the_session_closes_or_drops_while_paused()
    {
        ScriptedCall Call() => new(Guid.NewGuid().ToString(), 0, [new ScriptedUtterance("EXTERNAL", 200, "Thank you for calling."), new ScriptedUtterance("INTERNAL", 3000, "Goodbye.")]);
        var (closing, dropping) = (Call(), Call());
        var paused = new AudioHookFaults { PauseAt = TimeSpan.FromSeconds(1), PauseFor = TimeSpan.FromMinutes(5) };
        var outcomes = await Task.WhenAll(
            AudioHookClient.PlayAsync(host.Socket, host.Credentials, closing, 4, paused),
            AudioHookClient.PlayAsync(host.Socket, host.Credentials, dropping, 4, paused with { DropAt = TimeSpan.FromSeconds(2) }));
        Assert.True(outcomes[0].Closed);
        Assert.False(outcomes[1].Closed);
        foreach (var call in new[] { closing, dropping })
        {
            await host.CallEndedAsync(call.ConversationId);
            Assert.Contains("never resumed: the session ended while paused", await host.GapDetailsAsync(call.ConversationId), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_field_of_the_wrong_json_type_is_quarantined_and_the_session_goes_on_to_its_close()
    {
        var call = ShortCall();
        var outcome = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, call, 4, new AudioHookFaults { WrongTypes = true });
        Assert.True(outcome.Closed, string.Join(",", outcome.Received));
        await host.CallEndedAsync(call.ConversationId);
        Assert.Equal("the AudioHook session closed (end)", await host.Database.ScalarAsync<string>($"SELECT data->>'reason' FROM events WHERE type = 'call_ended' AND stream_id = '{call.ConversationId}'"));
        var reasons = await host.Database.ScalarAsync<string>("SELECT string_agg(data->>'reason', ' | ') FROM events WHERE type = 'frame_quarantined'");
        Assert.Contains("AudioHook: 'error': 'message' is a Number, not a string", reasons, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pause_or_a_silence_past_the_idle_time_does_not_end_the_call_while_its_session_is_open()
    {
        // the fixture's Recorder:CallIdleSeconds is 3; at speed 2 each call is silent for longer (paused, or just quiet)
        ScriptedCall Call() => new(Guid.NewGuid().ToString(), 0, [new ScriptedUtterance("EXTERNAL", 200, "Thank you for calling."), new ScriptedUtterance("INTERNAL", 13000, "Goodbye.")]);
        var (paused, quiet) = (Call(), Call());
        var outcomes = await Task.WhenAll(
            AudioHookClient.PlayAsync(host.Socket, host.Credentials, paused, 2, new AudioHookFaults { PauseAt = TimeSpan.FromSeconds(3), PauseFor = TimeSpan.FromSeconds(9) }),
            AudioHookClient.PlayAsync(host.Socket, host.Credentials, quiet, 2));
        Assert.All(outcomes, o => Assert.True(o.Closed, string.Join(",", o.Received)));

        foreach (var call in new[] { paused.ConversationId, quiet.ConversationId })
        {
            await host.CallEndedAsync(call);
            // one record of the call, ended by its session's close, the pause in it as a gap
            Assert.Equal(1, await host.Database.ScalarAsync<long>($"SELECT count(*) FROM events WHERE type = 'call_started' AND stream_id = '{call}'"));
            Assert.Equal("the AudioHook session closed (end)", await host.Database.ScalarAsync<string>($"SELECT data->>'reason' FROM events WHERE type = 'call_ended' AND stream_id = '{call}'"));
        }
        Assert.Contains("audio paused by Genesys", await host.GapDetailsAsync(paused.ConversationId), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-PT5S", "'position' is negative")]
    [InlineData("P9999D", "'position' is past two days")]
    public async Task A_negative_or_absurd_position_is_quarantined_and_the_session_goes_on_to_its_close(string position, string reason)
    {
        var call = ShortCall();
        var outcome = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, call, 4, new AudioHookFaults { PingPosition = position });
        Assert.True(outcome.Closed, string.Join(",", outcome.Received));
        Assert.NotNull(await host.QuarantineSayingAsync("AudioHook: not an AudioHook message: " + reason));
    }

    [Theory]
    [InlineData("-PT10S", "'discarded': 'discarded' is negative")]
    [InlineData("P9999D", "'discarded': 'discarded' is past two days")]
    public async Task A_negative_or_absurd_discarded_span_disconnects_the_session_with_the_reason_and_moves_no_clock(string span, string reason)
    {
        var call = ShortCall();
        var outcome = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, call, 4, new AudioHookFaults { Discarded = span });
        Assert.Contains("disconnect", outcome.Received);
        Assert.Contains(host.Logs.Lines, l => l.Contains(reason + ": the call's clock cannot be kept", StringComparison.Ordinal));
        await host.CallEndedAsync(call.ConversationId);
        // the span was not taken: no gap of it, and none that ends before it begins
        Assert.DoesNotContain("discarded by Genesys", await host.GapDetailsAsync(call.ConversationId), StringComparison.Ordinal);
        Assert.Equal(0, await host.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM events WHERE type = 'coverage_gap_recorded' AND stream_id = '{call.ConversationId}' AND (data->>'to')::timestamptz < (data->>'from')::timestamptz"));
    }

    [Theory]
    [InlineData("external", "INTERNAL audio not heard: open offered only the other party's channel")]
    [InlineData("", "EXTERNAL and INTERNAL audio not heard: open offered no audio the recorder takes")]
    public async Task An_open_offering_one_party_or_no_audio_records_the_unheard_as_a_gap(string offered, string gap)
    {
        var call = new ScriptedCall(Guid.NewGuid().ToString(), 0, [new ScriptedUtterance("EXTERNAL", 200, "Thank you for calling."), new ScriptedUtterance("INTERNAL", 1500, "Goodbye.")]);
        var outcome = await AudioHookClient.PlayAsync(host.Socket, host.Credentials, call, 4,
            new AudioHookFaults { Offers = offered.Length == 0 ? [] : [[offered]] });
        Assert.True(outcome.Closed, string.Join(",", outcome.Received));
        await host.CallEndedAsync(call.ConversationId);
        Assert.Contains(gap, await host.GapDetailsAsync(call.ConversationId), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_synthesized_call_reading_out_a_card_is_recorded_with_the_card_nowhere_raw()
    {
        var call = AudioHookHost.CardCall.ConversationId;
        await host.CallEndedAsync(call);

        using var viewer = host.Client(DemoHost.ViewerKey);
        var recorded = JsonSerializer.Deserialize<JsonElement>(await viewer.GetStringAsync($"/api/calls/{call}/captions"));
        var finals = recorded.EnumerateArray().Where(c => c.TryGetProperty("text", out _)).Select(c => c.GetProperty("text").GetString()!).ToList();
        var live = host.Captions.Where(c => c.ConversationId == call).Select(c => c.Text).ToList();
        output.WriteLine($"finals: {string.Join(" | ", finals)}");
        output.WriteLine($"word error rate of the finals: {WordErrorRate.Of(string.Join(' ', AudioHookHost.CardCall.Utterances.Select(u => u.Text)), string.Join(' ', finals)):P0}");

        // the shape: this dialect's segments on both channels, partial revisions before finals
        Assert.True(finals.Count >= 2, string.Join(" | ", finals));
        const string Segments = "FROM events WHERE type = 'segment_recorded' AND stream_id = ";
        Assert.Equal(2, await host.Database.ScalarAsync<long>($"SELECT count(DISTINCT data->>'channel') {Segments}'{call}'"));
        Assert.True(await host.Database.ScalarAsync<long>($"SELECT count(*) {Segments}'{call}' AND NOT (data->>'isFinal')::bool") > 0);
        Assert.Equal(0, await host.Database.ScalarAsync<long>($"SELECT count(*) {Segments}'{call}' AND data->>'dialect' <> 'audiohook'"));
        // the digits read out were redacted, in the record
        Assert.True(await host.Database.ScalarAsync<long>($"SELECT count(*) {Segments}'{call}' AND (data->>'isFinal')::bool AND data->'entities' <> '{{}}'::jsonb") > 0, string.Join(" | ", finals));
        // the card was read out as sixteen digits: no five of them in a row are left raw anywhere (the store, the live
        // captions with their partials, the logs), whatever the recognizer made of the rest. Five is the redactor's
        // threshold for digits dictated one by one; a partial may show four before the fifth is heard, unless the
        // question before them ("the long number on the card?") was recognised and set the card topic
        // the store as it reads back, sealed text opened (searching the ciphertext would find nothing whatever it hid)
        var stored = await host.PlainStoreAsync();
        Assert.Contains(finals[0], stored, StringComparison.Ordinal);
        foreach (var place in new[] { string.Join('\n', finals), string.Join('\n', live), string.Join('\n', host.Logs.Lines), stored })
        {
            Assert.DoesNotContain("one one one one one", place, StringComparison.Ordinal);
            Assert.DoesNotContain("11111", place, StringComparison.Ordinal);
            Assert.DoesNotContain("1 1 1 1 1", place, StringComparison.Ordinal);
        }
    }
}
