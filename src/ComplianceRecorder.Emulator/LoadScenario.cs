namespace ComplianceRecorder.Emulator;

/// <summary>
/// Scenarios made up for load runs, named rather than written out: "load:{calls}:{seconds}" is that
/// many calls talking for that long (starts spread over the first tenth), both parties taking turns
/// and one customer utterance in twenty dictating a card number; "idle:{calls}" is that many calls
/// that say one short thing and then stay on the line silent for an hour. Deterministic under a seed.
/// </summary>
public static class LoadScenario
{
    private static readonly string[] Words =
    [
        "thanks", "for", "calling", "how", "can", "I", "help", "you", "today", "my", "order", "has", "not", "arrived",
        "let", "me", "check", "that", "the", "account", "please", "hold", "on", "a", "moment", "yes", "of", "course",
        "delivery", "was", "scheduled", "last", "week", "understand", "sorry", "about", "refund", "shipping", "address",
    ];

    private static readonly string[] Cards = ["4111 1111 1111 1111", "five five five five five five five five five five five five four four four four", "3782 822463 10005"];

    public static bool TryParse(string name, out Scenario scenario)
    {
        var parts = name.Split(':');
        scenario = null!;
        if (parts is ["load", var c, var s] && int.TryParse(c, out var calls) && int.TryParse(s, out var seconds) && calls > 0 && seconds > 0)
        {
            scenario = Talking(calls, TimeSpan.FromSeconds(seconds));
            return true;
        }
        if (parts is ["idle", var n] && int.TryParse(n, out var idle) && idle > 0)
        {
            scenario = Idle(idle);
            return true;
        }
        return false;
    }

    public static Scenario Talking(int calls, TimeSpan length, int seed = 1)
    {
        var random = new Random(seed);
        var list = new List<ScriptedCall>(calls);
        var spread = (long)length.TotalMilliseconds / 10;
        for (var i = 0; i < calls; i++)
        {
            var start = spread * i / calls;
            var utterances = new List<ScriptedUtterance>();
            var channel = "INTERNAL";
            for (var at = 500L; at < length.TotalMilliseconds - start - 3000;)
            {
                var words = string.Join(' ', Enumerable.Range(0, random.Next(6, 15)).Select(_ => Words[random.Next(Words.Length)]));
                if (channel == "EXTERNAL" && random.Next(20) == 0)
                {
                    words = "my card number is " + Cards[random.Next(Cards.Length)];
                }
                utterances.Add(new ScriptedUtterance(channel, at, words));
                at += (words.Split(' ').Length * 280) + 500 + random.Next(500);
                channel = channel == "INTERNAL" ? "EXTERNAL" : "INTERNAL";
            }
            // shaped like Genesys' ids, told apart by their last part (a looping emulator renames the first)
            list.Add(new ScriptedCall($"10ad0000-0000-4000-8000-{i:D12}", start, utterances));
        }
        return new Scenario("load-queue", list);
    }

    public static Scenario Idle(int calls)
    {
        var list = new List<ScriptedCall>(calls);
        for (var i = 0; i < calls; i++)
        {
            // one short greeting, then silence until the hour is up
            list.Add(new ScriptedCall($"1d1e0000-0000-4000-8000-{i:D12}", i % 5000, [
                new ScriptedUtterance("INTERNAL", 0, "thank you for calling"),
                new ScriptedUtterance("INTERNAL", 3_600_000, "goodbye")]));
        }
        return new Scenario("idle-queue", list);
    }
}
