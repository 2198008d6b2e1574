using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

/// <summary>The server fake keeps what a server did for its visitors, with the server client's own checks and identity rules.</summary>
public sealed class FakeMixpanelServerClientTests
{
    private static readonly MixpanelVisitor Visitor = new("browser-1")
    {
        IpAddress = "203.0.113.7",
        Properties = new Dictionary<string, object?> { ["$browser"] = "Chrome", ["utm_source"] = "newsletter" },
    };

    [Fact]
    public void Track_StampsTheVisitorsIdsRequestPropertiesAndAddress_TheCallsOwnWinning()
    {
        IMixpanelServerClient mixpanel = new FakeMixpanelServerClient();

        mixpanel.Track(Visitor, "Page Viewed", new Dictionary<string, object?> { ["$browser"] = "Override" });

        var page = ((FakeMixpanelServerClient)mixpanel).Events.Should().ContainSingle().Which;
        (page.DistinctId, page.DeviceId, page.UserId).Should().Be(("$device:browser-1", "browser-1", (string?)null));
        page.Properties.Should().Contain(new Dictionary<string, object?> { ["$browser"] = "Override", ["utm_source"] = "newsletter", ["ip"] = "203.0.113.7" });
    }

    [Theory]
    [InlineData(IdMergeApi.Original, true)]
    [InlineData(IdMergeApi.Simplified, false)]
    public void Identify_LinksTheVisitorByIdentifyOnlyUnderOriginalIdMerge(IdMergeApi idMerge, bool sendsIdentify)
    {
        var mixpanel = new FakeMixpanelServerClient(new MixpanelOptions { ProjectToken = "token", IdMerge = idMerge });

        var user = mixpanel.Identify(Visitor, "U1");
        mixpanel.Identify(user, "U1");
        mixpanel.Track(user, "Purchased");

        user.UserId.Should().Be("U1");
        mixpanel.Events.Select(e => (e.Name, e.DistinctId, e.DeviceId)).Should().Equal(("Purchased", "U1", "browser-1"));
        var identify = mixpanel.AllEvents.Where(e => e.Name == "$identify").ToList();
        identify.Should().HaveCount(sendsIdentify ? 1 : 0);
        identify.Select(e => e.Properties["$anon_distinct_id"]).Should().AllBeEquivalentTo("$device:browser-1");
    }

    [Fact]
    public void People_OfAnAnonymousVisitor_AreDroppedAndCounted_OfAUser_Recorded()
    {
        var mixpanel = new FakeMixpanelServerClient();

        mixpanel.People(Visitor).Set("name", "Ada");
        mixpanel.People(Visitor.WithUser("U1")).Increment("orders");

        mixpanel.ProfileUpdates.Should().ContainSingle().Which.Should().Match<ProfileUpdateRecord>(u => u.UserId == "U1" && u.Update.Operation == "$add");
        mixpanel.Diagnostics.GetDropped(DropReason.NotIdentified).Should().Be(1);
    }

    [Fact]
    public void Calls_WithWhatTheServerClientRefuses_ThrowAsItDoes()
    {
        var mixpanel = new FakeMixpanelServerClient();

        mixpanel.Invoking(m => m.Track(Visitor, " ")).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("eventName");
        mixpanel.Invoking(m => m.Track(null!, "x")).Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("visitor");
        mixpanel.Invoking(m => m.Identify(Visitor, "undefined")).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("userId");
        mixpanel.Invoking(m => m.Track(Visitor, "x", new Dictionary<string, object?> { ["distinct_id"] = "null" }))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("properties");
        mixpanel.Invoking(m => m.GetGroup("company", 4.2)).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("groupId");
        mixpanel.AllEvents.Should().BeEmpty();
    }

    [Fact]
    public void Track_OnTheFakesClock_IsRecordedThen()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        var mixpanel = new FakeMixpanelServerClient(clock);

        mixpanel.Track(Visitor, "Page Viewed");

        mixpanel.Events.Single().Time.Should().Be(clock.GetUtcNow());
    }

    [Fact]
    public async Task ImportAsync_KeepsTheEventsAndReportsEachImported()
    {
        var mixpanel = new FakeMixpanelServerClient();
        var time = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var result = await mixpanel.ImportAsync(Events(new MixpanelImportEvent("Signed Up", "U1", time), new MixpanelImportEvent("Upgraded", "U1", time.AddDays(1))));

        result.Should().Be(new MixpanelImportResult(2, 0, result.Failures));
        result.Failures.Should().BeEmpty();
        mixpanel.ImportedEvents.Select(e => e.Name).Should().Equal("Signed Up", "Upgraded");
    }

    [Fact]
    public async Task ImportAsync_WithoutCredentials_ThrowsAsTheServerClientDoes()
    {
        var mixpanel = new FakeMixpanelServerClient(new MixpanelOptions { ProjectToken = "token" });

        var import = () => mixpanel.ImportAsync(Events());

        await import.Should().ThrowAsync<InvalidOperationException>();
    }

    private static async IAsyncEnumerable<MixpanelImportEvent> Events(params MixpanelImportEvent[] events)
    {
        foreach (var item in events)
        {
            await Task.Yield();
            yield return item;
        }
    }
}
