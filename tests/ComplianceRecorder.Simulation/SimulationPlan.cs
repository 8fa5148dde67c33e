using System.Globalization;
using System.Text;
using ComplianceRecorder.Emulator;

namespace ComplianceRecorder.Simulation;

/// <summary>A piece of personal data the script makes someone say, and how it is said.</summary>
public sealed record ScriptedPii(string ConversationId, int Utterance, string Kind, string Value, string Spoken);

public enum FaultKind
{
    /// <summary>Every Genesys socket aborted (no close handshake).</summary>
    DropSockets,

    /// <summary>Every Genesys socket closed with 1001.</summary>
    CloseSockets,

    /// <summary>A share of transcript messages sent twice, for a while.</summary>
    Duplicates,

    /// <summary>A share of transcript messages held back behind the next one, for a while.</summary>
    Reorders,

    /// <summary>A share of transcript messages never sent, for a while.</summary>
    Losses,

    /// <summary>The next REST calls (subscription changes among them) answered 429 with Retry-After.</summary>
    TooManyRequests,

    /// <summary>The next REST calls held past the client's timeout.</summary>
    Timeouts,

    /// <summary>PostgreSQL stopped (pg_ctl stop), started again after a while.</summary>
    PostgresStopped,

    /// <summary>A recorder (one instance, when several share the store) SIGKILLed, started again after a while.</summary>
    RecorderKilled,

    /// <summary>A recorder (one instance) sent SIGTERM (it must hand over or drain, and exit 0), started again after a while.</summary>
    RecorderTerminated,

    /// <summary>
    /// One more recorder on the same queue and store for a while, then SIGTERM: alone, a second single recorder on
    /// the same calls; among instances, one more instance that joins and leaves.
    /// </summary>
    SecondRecorder,
}

/// <summary>
/// One scheduled fault: at a real-time offset from the first call's announcement; <c>ForMs</c> is how long it lasts
/// (or the pause before a restart); <c>Target</c> the instance a kill or SIGTERM hits when several share the store.
/// </summary>
public sealed record Fault(long AtMs, FaultKind Kind, long ForMs = 0, int Count = 0, double Rate = 0, string? Target = null)
{
    public override string ToString() => Kind switch
    {
        FaultKind.Duplicates or FaultKind.Reorders or FaultKind.Losses => $"{AtMs,6} ms  {Kind} {Rate:P0} for {ForMs} ms",
        FaultKind.TooManyRequests or FaultKind.Timeouts => $"{AtMs,6} ms  {Kind} x{Count}",
        FaultKind.DropSockets or FaultKind.CloseSockets => $"{AtMs,6} ms  {Kind}",
        _ when Target is not null => $"{AtMs,6} ms  {Kind} {Target} for {ForMs} ms",
        _ => $"{AtMs,6} ms  {Kind} for {ForMs} ms",
    };
}

/// <summary>
/// How many recorders share the store and how they share the calls (<c>Recorder:Instance:Mode</c>): one alone
/// (<c>single</c>), or two or three instances in <c>active-active</c> or <c>partitioned</c> mode, named i1, i2, i3.
/// </summary>
public sealed record Topology(string Mode, int Instances)
{
    public static readonly Topology Alone = new("single", 1);

    public bool Shared => Instances > 1;

    /// <summary>The instances' names; one recorder alone has the name "primary".</summary>
    public IReadOnlyList<string> Names => Shared ? [.. Enumerable.Range(1, Instances).Select(i => $"i{i}")] : ["primary"];

    public override string ToString() => Shared ? $"{Instances} instances, {Mode}" : "one recorder";
}

/// <summary>
/// What one seed means: calls with scripted speech (personal data included) and a fault schedule. Only
/// <see cref="Random"/> with the seed decides anything here, so a seed always gives the same plan; the
/// interleaving with real processes is not replayed, the plan is.
/// </summary>
public sealed record SimulationPlan(int Seed, double Speed, Scenario Scenario, IReadOnlyList<ScriptedPii> Pii, IReadOnlyList<Fault> Faults, Topology Topology)
{
    private const int MsPerWord = 280;

    /// <summary>When the last call's last message is due, in real milliseconds after the first call's announcement.</summary>
    public long PlayMs => Scenario.Calls.Max(c => (long)((c.StartMs + (1000 * Speed) + LastFinalAt(c) + 700) / Speed));

    private static long LastFinalAt(ScriptedCall c) => c.Utterances.Max(u => u.AtMs + (Words(u.Text) * MsPerWord) + 200);

    private static int Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    public static SimulationPlan Generate(int seed)
    {
        var random = new Random(seed);
        const double speed = 4;
        var pii = new List<ScriptedPii>();
        var calls = new List<ScriptedCall>();
        var count = random.Next(2, 4);
        long start = 0;
        for (var i = 0; i < count; i++)
        {
            var id = $"5e{seed & 0xffff:x4}a1-{i:x4}-4000-8000-{random.NextInt64(0xffffffffffff):x12}";
            calls.Add(new ScriptedCall(id, start, Script(id, random, pii)));
            start += random.Next(500, 4000);
        }
        var scenario = new Scenario("sim-queue-" + seed.ToString(CultureInfo.InvariantCulture), calls);
        var plan = new SimulationPlan(seed, speed, scenario, pii, [], Topology.Alone);
        var faults = Schedule(random, plan.PlayMs);
        // the topology and each kill's target come from a second stream of the seed, so the calls and fault times a
        // seed gave before instances existed stay as they were
        var layout = new Random(unchecked((seed * 7919) + 104729));
        var topology = layout.Next(4) switch
        {
            0 or 1 => Topology.Alone,
            2 => new Topology("active-active", layout.Next(2, 4)),
            _ => new Topology("partitioned", layout.Next(2, 4)),
        };
        if (topology.Shared)
        {
            faults = [.. faults.Select(f => f.Kind is FaultKind.RecorderKilled or FaultKind.RecorderTerminated ? f with { Target = topology.Names[layout.Next(topology.Instances)] } : f)];
        }
        return plan with { Faults = faults, Topology = topology };
    }

    private static readonly string[] Greetings =
    [
        "Thank you for calling Northwind Bank, this is Maya. How can I help you today?",
        "Northwind support, how can I help?",
        "Hello, you are through to the billing team, what can I do for you?",
    ];

    private static readonly string[] Small =
    [
        "let me check that for you, one moment please",
        "thanks for holding, I can see the account now",
        "my order has not arrived and it was due last week",
        "sorry about that, I understand it is frustrating",
        "the delivery was scheduled for Tuesday afternoon",
        "is there anything else I can help with today",
    ];

    private static readonly string[] FirstNames = ["jane", "omar", "li", "priya", "tom", "ana"];

    private static readonly string[] LastNames = ["doe", "haddad", "chen", "sharma", "baker", "silva"];

    private static List<ScriptedUtterance> Script(string call, Random random, List<ScriptedPii> pii)
    {
        var lines = new List<(string Channel, string Text, string? Kind, string? Value)> { ("INTERNAL", Pick(random, Greetings), null, null) };
        var stories = random.Next(1, 3);
        for (var s = 0; s < stories; s++)
        {
            switch (random.Next(3))
            {
                case 0:
                    var card = Card(random);
                    var cvv = random.Next(100, 1000).ToString(CultureInfo.InvariantCulture);
                    lines.Add(("EXTERNAL", "I'd like to pay the 45 dollars on my bill with a card.", null, null));
                    lines.Add(("INTERNAL", "Sure. What's the long number on the front of the card?", null, null));
                    lines.Add(("EXTERNAL", random.Next(2) == 0 ? $"It's {Spell(card, 4)}." : $"It's {Group(card, 4)}", "card", card));
                    lines.Add(("INTERNAL", "Thanks. And the three digits on the back?", null, null));
                    lines.Add(("EXTERNAL", random.Next(2) == 0 ? Spell(cvv, 3) : cvv, "cvv", cvv));
                    break;
                case 1:
                    var phone = $"{random.Next(2, 10)}{random.Next(10)}{random.Next(10)}{random.Next(200, 1000)}{random.Next(10000):D4}";
                    lines.Add(("INTERNAL", "What's the best number to reach you?", null, null));
                    lines.Add(("EXTERNAL", random.Next(2) == 0 ? Spell(phone[..3], 3) + ", " + Spell(phone[3..6], 3) + ", " + Spell(phone[6..], 4) : $"{phone[..3]} {phone[3..6]} {phone[6..]}", "phone", phone));
                    var (first, last) = (Pick(random, FirstNames), Pick(random, LastNames));
                    lines.Add(("INTERNAL", "And your email?", null, null));
                    lines.Add(("EXTERNAL", random.Next(2) == 0 ? $"it's {first} dot {last} at example dot com" : $"it's {first}.{last}@example.com", "email", $"{first}.{last}@example.com"));
                    break;
                default:
                    lines.Add(("EXTERNAL", Pick(random, Small), null, null));
                    lines.Add(("INTERNAL", Pick(random, Small), null, null));
                    break;
            }
        }
        lines.Add(("INTERNAL", "Anything else? Thanks for calling, goodbye.", null, null));

        var utterances = new List<ScriptedUtterance>();
        long at = 300;
        foreach (var (channel, text, kind, value) in lines)
        {
            if (kind is not null)
            {
                pii.Add(new ScriptedPii(call, utterances.Count, kind, value!, text));
            }
            utterances.Add(new ScriptedUtterance(channel, at, text));
            at += (Words(text) * MsPerWord) + 700 + random.Next(800);
        }
        return utterances;
    }

    /// <summary>Faults early and dense: a few of them inside the first two thirds of the calls.</summary>
    private static List<Fault> Schedule(Random random, long playMs)
    {
        var faults = new List<Fault>();
        var n = random.Next(2, 6);
        var kinds = Enum.GetValues<FaultKind>();
        for (var i = 0; i < n; i++)
        {
            var at = 300 + random.NextInt64(Math.Max(1, playMs * 2 / 3));
            var kind = kinds[random.Next(kinds.Length)];
            faults.Add(kind switch
            {
                FaultKind.Duplicates or FaultKind.Reorders or FaultKind.Losses => new Fault(at, kind, ForMs: random.Next(1000, 4000), Rate: 0.1 + (random.Next(4) * 0.1)),
                FaultKind.TooManyRequests => new Fault(at, kind, Count: random.Next(1, 4)),
                FaultKind.Timeouts => new Fault(at, kind, Count: random.Next(1, 3)),
                FaultKind.PostgresStopped => new Fault(at, kind, ForMs: random.Next(1000, 5000)),
                FaultKind.RecorderKilled or FaultKind.RecorderTerminated => new Fault(at, kind, ForMs: random.Next(300, 2500)),
                FaultKind.SecondRecorder => new Fault(at, kind, ForMs: random.Next(2000, 8000)),
                _ => new Fault(at, kind),
            });
        }
        faults.Sort((a, b) => a.AtMs.CompareTo(b.AtMs));
        return faults;
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    /// <summary>A Luhn-valid 16-digit card number on a Visa or Mastercard prefix.</summary>
    private static string Card(Random random)
    {
        var digits = new int[16];
        digits[0] = random.Next(2) == 0 ? 4 : 5;
        digits[1] = digits[0] == 5 ? random.Next(1, 6) : random.Next(10);
        for (var i = 2; i < 15; i++)
        {
            digits[i] = random.Next(10);
        }
        var sum = 0;
        for (var i = 14; i >= 0; i--)
        {
            var d = (14 - i) % 2 == 0 ? digits[i] * 2 : digits[i];
            sum += d > 9 ? d - 9 : d;
        }
        digits[15] = (10 - (sum % 10)) % 10;
        return string.Concat(digits);
    }

    private static readonly string[] DigitWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    /// <summary>Digits as spoken words, in groups of <paramref name="group"/> separated by commas.</summary>
    private static string Spell(string digits, int group)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < digits.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(i % group == 0 ? ", " : " ");
            }
            sb.Append(DigitWords[digits[i] - '0']);
        }
        return sb.ToString();
    }

    private static string Group(string digits, int group) =>
        string.Join(' ', Enumerable.Range(0, (digits.Length + group - 1) / group).Select(i => digits.Substring(i * group, Math.Min(group, digits.Length - (i * group)))));

    /// <summary>The plan as a reader needs it to understand a failure: the calls line by line, then the faults.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"seed {Seed}: {Scenario.Calls.Count} calls at speed {Speed}, {PlayMs} ms of play, {Topology}\n");
        foreach (var call in Scenario.Calls)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  call {call.ConversationId} from {call.StartMs} ms (scenario time)\n");
            foreach (var u in call.Utterances)
            {
                sb.Append(CultureInfo.InvariantCulture, $"    {u.AtMs,6} {u.Channel,-8} {u.Text}\n");
            }
        }
        sb.Append("  faults (real ms after the first call):\n");
        foreach (var f in Faults)
        {
            sb.Append("    ").Append(f).Append('\n');
        }
        return sb.ToString();
    }
}
