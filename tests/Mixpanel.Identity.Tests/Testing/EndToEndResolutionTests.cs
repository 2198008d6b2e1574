using FluentAssertions;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Delivery;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

/// <summary>
/// The guide's flows and the customer's flow end to end: <see cref="MixpanelClient"/> → <see cref="LocalMixpanelServer"/>
/// → <see cref="IdentityResolver"/>. Every event resolves to the final state of the guide's table, in both ID-merge
/// systems, and none of the flows raises a finding.
/// </summary>
public sealed class EndToEndResolutionTests
{
    /// <summary>Set to a file path to also write the shared-device timeline as HTML (how docs/ is regenerated).</summary>
    public const string TimelineOutputVariable = "MIXPANEL_IDENTITY_TIMELINE_HTML";

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public async Task NewUserSignup_EveryEventResolvesToTheUser(IdMergeApi idMerge)
    {
        await using var world = await World.StartAsync(idMerge);
        var phone = world.Device("phone");

        await world.StepAsync(phone, c => c.Track("1"));
        await world.StepAsync(phone, c => c.Track("2"));
        await world.StepAsync(phone, c => c.Identify("U1"));
        await world.StepAsync(phone, c => c.Track("3"));

        var resolution = world.Server.Resolve(idMerge);
        Resolved(resolution).Should().Equal(("1", "U1"), ("2", "U1"), ("3", "U1"));
        resolution.Findings.Should().BeEmpty();
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public async Task ReturningUserOnANewDevice_BothDevicesResolveToTheUser(IdMergeApi idMerge)
    {
        await using var world = await World.StartAsync(idMerge);
        var phone = world.Device("phone");
        var laptop = world.Device("laptop");

        await world.StepAsync(phone, c => c.Track("1"));
        await world.StepAsync(phone, c => c.Track("2"));
        await world.StepAsync(phone, c => c.Identify("U1"));
        await world.StepAsync(phone, c => c.Track("3"));
        await world.StepAsync(laptop, c => c.Track("4"));
        await world.StepAsync(laptop, c => c.Track("5"));

        Resolved(world.Server.Resolve(idMerge)).Should().Equal(("1", "U1"), ("2", "U1"), ("3", "U1"),
            ("4", "$device:" + laptop.DeviceId), ("5", "$device:" + laptop.DeviceId));

        await world.StepAsync(laptop, c => c.Identify("U1"));
        await world.StepAsync(laptop, c => c.Track("6"));

        var resolution = world.Server.Resolve(idMerge);
        Resolved(resolution).Should().Equal(("1", "U1"), ("2", "U1"), ("3", "U1"), ("4", "U1"), ("5", "U1"), ("6", "U1"));
        resolution.Findings.Should().BeEmpty();
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public async Task MultipleUsersOneDevice_ResetKeepsThePeopleApart(IdMergeApi idMerge)
    {
        await using var world = await World.StartAsync(idMerge);
        var shared = world.Device("shared");

        await SharedDeviceFlowAsync(world, shared);

        var resolution = world.Server.Resolve(idMerge);
        Resolved(resolution).Should().Equal(("1", "U1"), ("2", "U1"), ("3", "U2"), ("4", "U2"), ("5", "U2"));
        resolution.Findings.Should().BeEmpty();
        resolution.Clusters.Where(c => c.CanonicalId is "U1" or "U2").Should().HaveCount(2, "two people are never merged");
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public async Task CustomerFlow_TwoAccountsWithProfilesOnOneDevice_ResolveToTheirAccounts(IdMergeApi idMerge)
    {
        await using var world = await World.StartAsync(idMerge);
        var tablet = world.Device("tablet");

        await world.StepAsync(tablet, c => c.Track("Viewed Onboarding"));
        await world.StepAsync(tablet, c =>
        {
            c.Identify("account-1001");
            c.People.Set(new Dictionary<string, object?> { ["phone_number"] = "+15551230001", ["registration_date"] = "2026-11-23" });
            c.Register(new Dictionary<string, object?> { ["account_id"] = "account-1001" });
        });
        foreach (var profile in new[] { "solo-1", "partner-1" })
        {
            await world.StepAsync(tablet, c =>
            {
                c.Register(new Dictionary<string, object?> { ["active_profile_id"] = profile });
                c.People.Set("active_profile_id", profile);
                c.Track("Switched Profile");
            });
        }

        await world.StepAsync(tablet, c => c.Track("Logged Out"));
        await world.StepAsync(tablet, c => c.Reset());
        await world.StepAsync(tablet, c => c.Track("Viewed Login"));
        await world.StepAsync(tablet, c =>
        {
            c.Identify("account-2002");
            c.People.Set("phone_number", "+15551230002");
        });
        await world.StepAsync(tablet, c => c.Track("Viewed Feed"));

        var resolution = world.Server.Resolve(idMerge);
        Resolved(resolution).Should().Equal(
            ("Viewed Onboarding", "account-1001"),
            ("Switched Profile", "account-1001"),
            ("Switched Profile", "account-1001"),
            ("Logged Out", "account-1001"),
            ("Viewed Login", "account-2002"),
            ("Viewed Feed", "account-2002"));
        resolution.Findings.Should().BeEmpty();
        var first = resolution.ProfileOf("account-1001")!;
        first.Properties["active_profile_id"].GetString().Should().Be("partner-1");
        first.Properties["phone_number"].GetString().Should().Be("+15551230001");
        resolution.ProfileOf("account-2002")!.Properties["phone_number"].GetString().Should().Be("+15551230002");
        resolution.Profiles.Should().NotContain(p => p.IsAnonymous, "profile updates are never sent to a $device: id");
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public async Task SharedDeviceWithoutReset_IsCaughtBeforeItShips(IdMergeApi idMerge)
    {
        await using var world = await World.StartAsync(idMerge);
        var shared = world.Device("shared");

        await world.StepAsync(shared, c => c.Identify("U1"));
        await world.StepAsync(shared, c => c.Track("Logged Out"));
        await world.StepAsync(shared, c => c.Identify("U2"));
        await world.StepAsync(shared, c => c.Track("Viewed Feed"));

        world.Server.Resolve(idMerge).Findings.Select(f => f.Kind).Should().Contain(IdentityFindingKind.SecondUserOnDevice);
    }

    [Fact]
    public async Task SharedDeviceTimeline_Html_HoldsEveryRowAndFinding()
    {
        await using var world = await World.StartAsync(IdMergeApi.Original);
        var shared = world.Device("shared");
        await SharedDeviceFlowAsync(world, shared);

        var resolution = world.Server.Resolve(IdMergeApi.Original);
        var html = resolution.ToHtml();

        foreach (var row in resolution.Timeline)
        {
            html.Should().Contain(row.ResolvedDistinctId!).And.Contain(System.Net.WebUtility.HtmlEncode(row.SentDistinctId!));
        }

        foreach (var finding in resolution.Findings)
        {
            html.Should().Contain(System.Net.WebUtility.HtmlEncode(finding.Message));
        }

        html.Should().NotContain("<script").And.NotContain("href=\"http").And.NotContain("src=\"http");
        resolution.Timeline.Should().HaveCount(7, "five events and two $identify");
        if (Environment.GetEnvironmentVariable(TimelineOutputVariable) is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, html);
        }
    }

    private static async Task SharedDeviceFlowAsync(World world, MixpanelClient shared)
    {
        await world.StepAsync(shared, c => c.Track("1"));
        await world.StepAsync(shared, c => c.Identify("U1"));
        await world.StepAsync(shared, c => c.Track("2"));
        await world.StepAsync(shared, c => c.Reset());
        await world.StepAsync(shared, c => c.Track("3"));
        await world.StepAsync(shared, c => c.Track("4"));
        await world.StepAsync(shared, c => c.Identify("U2"));
        await world.StepAsync(shared, c => c.Track("5"));
    }

    private static List<(string Event, string? Resolved)> Resolved(IdentityResolution resolution) =>
        [.. resolution.Timeline
            .Where(row => row.Record.IsEvent && !row.Label.StartsWith('$'))
            .Select(row => (row.Label, row.ResolvedDistinctId))];

    /// <summary>A server and several devices (clients on their own storage directories) on one clock.</summary>
    private sealed class World : IAsyncDisposable
    {
        private readonly DeliveryHarness _harness;
        private readonly IdMergeApi _idMerge;

        private World(DeliveryHarness harness, IdMergeApi idMerge)
        {
            _harness = harness;
            _idMerge = idMerge;
        }

        public LocalMixpanelServer Server => _harness.Server;

        public static async Task<World> StartAsync(IdMergeApi idMerge) => new(await DeliveryHarness.StartAsync(), idMerge);

        public MixpanelClient Device(string name)
        {
            return _harness.StartClient(options =>
            {
                options.IdMerge = _idMerge;
                options.StorageDirectory = Path.Combine(_harness.StorageDirectory, name);
            });
        }

        /// <summary>One step of the story: act, deliver, and let a second pass so every record has its own time.</summary>
        public async Task StepAsync(MixpanelClient device, Action<MixpanelClient> act)
        {
            act(device);
            await device.FlushAsync(DeliveryHarness.Patience);
            _harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        public ValueTask DisposeAsync() => _harness.DisposeAsync();
    }
}
