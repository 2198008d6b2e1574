using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Testing.Contract;

/// <summary>
/// One script of an app's calls, run through the real client (delivering to a local Mixpanel server) and through the
/// fake: both must record the same events, profile and group updates, refuse the same calls the same way, and end in
/// the same identity with the same drops counted. An app whose tests pass on the fake then behaves so in production.
/// </summary>
public sealed class FakeMixpanelClientContractTests(ITestOutputHelper output) : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _folder = new();

    /// <summary>The script: each step a call an app makes, some of them calls the client must refuse.</summary>
    private static readonly (string Step, Action<IMixpanelClient, FakeTimeProvider> Call)[] Script =
    [
        ("track anonymously", static (c, _) => c.Track("App Opened", new Dictionary<string, object?> { ["source"] = "ad", ["tags"] = new[] { "a", "b" } })),
        ("register", static (c, _) => c.Register(new Dictionary<string, object?> { ["plan"] = "free", ["tier"] = 1 })),
        ("register once", static (c, _) => c.RegisterOnce(new Dictionary<string, object?> { ["plan"] = "pro", ["first_seen"] = "2026-11-01" })),
        ("register distinct_id", static (c, _) => c.Register(new Dictionary<string, object?> { ["distinct_id"] = "someone" })),
        ("register $device_id", static (c, _) => c.RegisterOnce(new Dictionary<string, object?> { ["$device_id"] = "elsewhere" })),
        ("register too many", static (c, _) => c.Register(Enumerable.Range(0, 300).ToDictionary(static i => $"p{i}", static i => (object?)i))),
        ("register too large", static (c, _) => c.Register(Enumerable.Range(0, 10).ToDictionary(static i => $"blob{i}", static _ => (object?)Enumerable.Repeat(new string('x', 255), 254).ToArray()))),
        ("register unstorable", static (c, _) => c.Register(new Dictionary<string, object?> { ["v"] = new object() })),
        ("people while anonymous", static (c, _) => c.People.Set("name", "Ada")),
        ("increment while anonymous", static (c, _) => c.People.Increment("logins")),
        ("delete while anonymous", static (c, _) => c.People.DeleteUser()),
        ("time event", static (c, _) => c.TimeEvent("Upload")),
        ("let time pass", static (_, clock) => clock.Advance(TimeSpan.FromMilliseconds(1500))),
        ("timed track", static (c, _) => c.Track("Upload", new Dictionary<string, object?> { ["size"] = 3 })),
        ("alias", static (c, _) => c.Alias("alias-1")),
        ("alias to itself", static (c, _) => c.Alias(c.DistinctId)),
        ("alias a placeholder", static (c, _) => c.Alias("undefined")),
        ("identify", static (c, _) => c.Identify("U1")),
        ("identify again", static (c, _) => c.Identify("U1")),
        ("identify a placeholder", static (c, _) => c.Identify("null")),
        ("identify a device id", static (c, _) => c.Identify("$device:abc")),
        ("track identified", static (c, _) => c.Track("Purchased", new Dictionary<string, object?> { ["price"] = 9.99, ["plan"] = "team" })),
        ("track with its own time", static (c, clock) => c.Track("Imported Order", new Dictionary<string, object?> { ["time"] = clock.GetUtcNow().AddHours(-1) })),
        ("track with a bad insert id", static (c, _) => c.Track("Bad", new Dictionary<string, object?> { ["$insert_id"] = "not valid!" })),
        ("track a blank name", static (c, _) => c.Track(" ")),
        ("track an unstorable value", static (c, _) => c.Track("Bad", new Dictionary<string, object?> { ["v"] = new object() })),
        ("people set", static (c, _) => c.People.Set(new Dictionary<string, object?> { ["email_opt_in"] = true, ["age"] = 36 })),
        ("people set once", static (c, _) => c.People.SetOnce("signup", "2026-11-23")),
        ("people union", static (c, _) => c.People.Union("tags", ["a", "b"])),
        ("people append", static (c, _) => c.People.Append("history", "x")),
        ("people remove", static (c, _) => c.People.Remove("tags", "a")),
        ("people unset", static (c, _) => c.People.Unset("logins", "age")),
        ("people set a blank name", static (c, _) => c.People.Set("", 1)),
        ("people increment by NaN", static (c, _) => c.People.Increment("score", double.NaN)),
        ("set group", static (c, _) => c.SetGroup("company", 42)),
        ("add group", static (c, _) => c.AddGroup("company", "acme")),
        ("group profile", static (c, _) => c.GetGroup("company", 42).Set(new Dictionary<string, object?> { ["name"] = "Acme" })),
        ("group profile delete", static (c, _) => c.GetGroup("company", "acme").DeleteGroup()),
        ("bad group id", static (c, _) => c.AddGroup("company", 4.2)),
        ("track with groups", static (c, _) => c.TrackWithGroups("Shared", null, new Dictionary<string, object> { ["team"] = "t1" })),
        ("remove group", static (c, _) => c.RemoveGroup("company", 42)),
        ("unregister", static (c, _) => c.Unregister("tier")),
        ("track after unregister", static (c, _) => c.Track("Settings Opened")),
        ("reset", static (c, _) => c.Reset()),
        ("people after reset", static (c, _) => c.People.Set("anon", true)),
        ("reset again", static (c, _) => c.Reset()),
        ("people held", static (c, _) => c.People.SetOnce("first_device", "phone")),
        ("track after reset", static (c, _) => c.Track("After Reset")),
        ("identify another", static (c, _) => c.Identify("U2")),
        ("flush before opting out", static (c, _) => c.FlushAsync().GetAwaiter().GetResult()),
        ("opt out", static (c, _) => c.OptOutTracking()),
        ("track opted out", static (c, _) => c.Track("Ignored")),
        ("people opted out", static (c, _) => c.People.Set("ignored", 1)),
        ("opt in with a placeholder", static (c, _) => c.OptInTracking("anonymous")),
        ("opt in", static (c, _) => c.OptInTracking("U3", new Dictionary<string, object?> { ["reason"] = "consent" })),
        ("track back", static (c, _) => c.Track("Back")),
        ("clear", static (c, _) =>
        {
            c.ClearSuperProperties();
            c.ClearTimedEvents();
        }),
        ("track last", static (c, _) => c.Track("Last")),
    ];

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public async Task Script_ThroughTheClientAndTheFake_RecordsTheSameAndRefusesTheSame(IdMergeApi idMerge)
    {
        var real = await RunOnClientAsync(idMerge);
        var fake = RunOnFake(idMerge);
        output.WriteLine(string.Join(Environment.NewLine, real.Outcomes.Concat(real.Records)));

        fake.Outcomes.Should().Equal(real.Outcomes);
        fake.Records.Should().Equal(real.Records);
        fake.End.Should().Be(real.End);
        real.Records.Should().Contain(line => line.StartsWith("track Upload ", StringComparison.Ordinal) && line.Contains("$duration=1.5", StringComparison.Ordinal));
        real.Outcomes.Should().Contain("register distinct_id: ArgumentException(properties)").And.Contain("register too many: ArgumentException(properties)");
        real.Outcomes.Should().Contain(idMerge == IdMergeApi.Original ? "alias to itself: ArgumentException(alias)" : "alias: NotSupportedException");
    }

    [Fact]
    public void Comparison_SeesADifferenceInOneProperty()
    {
        // The comparison is not blind: the fake's lines differ as soon as one call differs.
        var fake = new FakeMixpanelClient(Options(IdMergeApi.Original, new Uri("http://127.0.0.1/")));
        var other = new FakeMixpanelClient(Options(IdMergeApi.Original, new Uri("http://127.0.0.1/")));
        fake.Track("Same", new Dictionary<string, object?> { ["n"] = 1 });
        other.Track("Same", new Dictionary<string, object?> { ["n"] = 2 });

        ContractRecords.FromFake(fake.AllEvents, fake.ProfileUpdates, fake.GroupUpdates)
            .Should().NotEqual(ContractRecords.FromFake(other.AllEvents, other.ProfileUpdates, other.GroupUpdates));
    }

    public void Dispose() => _folder.Dispose();

    private static Run RunScript(IMixpanelClient client, FakeTimeProvider clock)
    {
        var outcomes = Script.Select(step => $"{step.Step}: {ContractRecords.Outcome(() => step.Call(client, clock))}").ToList();
        var end = $"{client.DistinctId} device={client.DeviceId} user={client.UserId} opted out={client.IsOptedOut} " +
                  $"super={string.Join(",", client.SuperProperties.Keys.Order(StringComparer.Ordinal))} dropped: {ContractRecords.Drops(client.Diagnostics)}";
        return new Run(outcomes, [], end);
    }

    private async Task<Run> RunOnClientAsync(IdMergeApi idMerge)
    {
        var clock = new FakeTimeProvider(Start);
        var (run, records) = await ContractRecords.ThroughLocalServerAsync(
            clock,
            apiHost =>
            {
                var options = Options(idMerge, apiHost);
                options.StorageDirectory = _folder.Path;
                return new MixpanelClient(options, httpClient: null, clock);
            },
            static (client, cancellation) => client.FlushAsync(cancellation),
            client => RunScript(client, clock));
        return run with { Records = records };
    }

    private static Run RunOnFake(IdMergeApi idMerge)
    {
        var clock = new FakeTimeProvider(Start);
        var fake = new FakeMixpanelClient(Options(idMerge, new Uri("http://127.0.0.1/")), clock);
        var run = RunScript(fake, clock);
        return run with { Records = ContractRecords.FromFake(fake.AllEvents, fake.ProfileUpdates, fake.GroupUpdates) };
    }

    /// <summary>The same options for both, each with its own run of device ids (device-1, device-2…) so that the two can be compared.</summary>
    private static MixpanelOptions Options(IdMergeApi idMerge, Uri apiHost)
    {
        var devices = 0;
        return new MixpanelOptions
        {
            ProjectToken = ContractRecords.Token,
            ApiHost = apiHost,
            IdMerge = idMerge,
            SendDefaultProperties = false,
            DeviceIdProvider = () => $"device-{Interlocked.Increment(ref devices)}",
        };
    }

    private sealed record Run(List<string> Outcomes, List<string> Records, string End);
}
