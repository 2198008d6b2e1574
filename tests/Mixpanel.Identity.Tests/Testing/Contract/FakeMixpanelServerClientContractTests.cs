using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Testing.Contract;

/// <summary>
/// One script of a server's calls for its visitors, run through the real server client (delivering to a local Mixpanel
/// server) and through its fake: both must record the same events and updates, stamped with the same visitor, and
/// refuse the same calls the same way.
/// </summary>
public sealed class FakeMixpanelServerClientContractTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static readonly MixpanelVisitor Visitor = new("browser-1")
    {
        IpAddress = "203.0.113.7",
        Properties = new Dictionary<string, object?> { ["$browser"] = "Chrome", ["utm_source"] = "newsletter", ["$current_url"] = "https://example.com/" },
    };

    /// <summary>The script: each step a call a server makes for its visitors; the state carries the signed-in visitor along.</summary>
    private static readonly (string Step, Action<IMixpanelServerClient, Visitors> Call)[] Script =
    [
        ("track anonymously", static (c, v) => c.Track(v.Anonymous, "Page Viewed", new Dictionary<string, object?> { ["page"] = "/" })),
        ("profile of an anonymous visitor", static (c, v) => c.People(v.Anonymous).Set("name", "Ada")),
        ("identify", static (c, v) => v.SignedIn = c.Identify(v.Anonymous, "U1")),
        ("identify again", static (c, v) => c.Identify(v.SignedIn!, "U1")),
        ("identify a placeholder", static (c, v) => c.Identify(v.Anonymous, "null")),
        ("track signed in", static (c, v) => c.Track(v.SignedIn!, "Purchased", new Dictionary<string, object?> { ["price"] = 9.99, ["$browser"] = "Override" })),
        ("track with its own time", static (c, v) => c.Track(v.SignedIn!, "Imported Order", new Dictionary<string, object?> { ["time"] = Start.AddHours(-1) })),
        ("track with its own distinct_id", static (c, v) => c.Track(v.SignedIn!, "Shared Cart", new Dictionary<string, object?> { ["distinct_id"] = "U9" })),
        ("track a blank name", static (c, v) => c.Track(v.SignedIn!, " ")),
        ("track a placeholder distinct_id", static (c, v) => c.Track(v.SignedIn!, "Bad", new Dictionary<string, object?> { ["distinct_id"] = "undefined" })),
        ("track an unstorable value", static (c, v) => c.Track(v.SignedIn!, "Bad", new Dictionary<string, object?> { ["v"] = new object() })),
        ("track for nobody", static (c, _) => c.Track(null!, "Bad")),
        ("profile set", static (c, v) => c.People(v.SignedIn!).Set(new Dictionary<string, object?> { ["plan"] = "pro", ["seats"] = 3 })),
        ("profile increment", static (c, v) => c.People(v.SignedIn!).Increment("orders")),
        ("profile union", static (c, v) => c.People(v.SignedIn!).Union("tags", ["a", "b"])),
        ("profile unset", static (c, v) => c.People(v.SignedIn!).Unset("seats")),
        ("profile set a blank name", static (c, v) => c.People(v.SignedIn!).Set("", 1)),
        ("group profile", static (c, _) => c.GetGroup("company", 42).Set(new Dictionary<string, object?> { ["name"] = "Acme" })),
        ("group profile delete", static (c, _) => c.GetGroup("company", "acme").DeleteGroup()),
        ("bad group id", static (c, _) => c.GetGroup("company", 4.2)),
        ("logged out", static (c, v) => c.Track(v.SignedIn!.AsNewDevice("browser-2"), "Logged Out")),
        ("another user on the new device", static (c, v) => c.Track(c.Identify(v.SignedIn!.AsNewDevice("browser-2"), "U2"), "Viewed Feed")),
    ];

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public async Task Script_ThroughTheServerClientAndTheFake_RecordsTheSameAndRefusesTheSame(IdMergeApi idMerge)
    {
        var real = await RunOnClientAsync(idMerge);
        var fake = RunOnFake(idMerge);
        output.WriteLine(string.Join(Environment.NewLine, real.Outcomes.Concat(real.Records)));

        fake.Outcomes.Should().Equal(real.Outcomes);
        fake.Records.Should().Equal(real.Records);
        fake.Drops.Should().Be(real.Drops);
        real.Records.Count(static line => line.StartsWith("track $identify ", StringComparison.Ordinal))
            .Should().Be(idMerge == IdMergeApi.Original ? 2 : 0, "Original ID Merge links a login by $identify; Simplified by the ids on events");
        real.Records.Should().Contain(static line => line.StartsWith("track Page Viewed distinct=$device:browser-1 device=browser-1 user= ", StringComparison.Ordinal)
            && line.Contains("ip=\"203.0.113.7\"", StringComparison.Ordinal) && line.Contains("utm_source=\"newsletter\"", StringComparison.Ordinal));
    }

    private static Run RunScript(IMixpanelServerClient client)
    {
        var visitors = new Visitors();
        var outcomes = Script.Select(step => $"{step.Step}: {ContractRecords.Outcome(() => step.Call(client, visitors))}").ToList();
        return new Run(outcomes, [], ContractRecords.Drops(client.Diagnostics));
    }

    private static async Task<Run> RunOnClientAsync(IdMergeApi idMerge)
    {
        var clock = new FakeTimeProvider(Start);
        var (run, records) = await ContractRecords.ThroughLocalServerAsync(
            clock,
            apiHost => new MixpanelServerClient(Options(idMerge, apiHost), httpClient: null, clock),
            static (client, cancellation) => client.FlushAsync(cancellation),
            RunScript);
        return run with { Records = records };
    }

    private static Run RunOnFake(IdMergeApi idMerge)
    {
        var fake = new FakeMixpanelServerClient(Options(idMerge, new Uri("http://127.0.0.1/")), new FakeTimeProvider(Start));
        var run = RunScript(fake);

        // The fake's profile records name the user, not the address; every one here is the signed-in visitor's.
        return run with { Records = ContractRecords.FromFake(fake.AllEvents, fake.ProfileUpdates, fake.GroupUpdates, ip: static _ => Visitor.IpAddress) };
    }

    private static MixpanelOptions Options(IdMergeApi idMerge, Uri apiHost) => new()
    {
        ProjectToken = ContractRecords.Token,
        ApiHost = apiHost,
        IdMerge = idMerge,
        Storage = StorageMode.Memory,
        SendDefaultProperties = false,
    };

    private sealed class Visitors
    {
        public MixpanelVisitor Anonymous { get; } = Visitor;

        public MixpanelVisitor? SignedIn { get; set; }
    }

    private sealed record Run(List<string> Outcomes, List<string> Records, string Drops);
}
