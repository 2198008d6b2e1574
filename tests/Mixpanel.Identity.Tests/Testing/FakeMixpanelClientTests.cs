using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

/// <summary>The fake keeps what an app did, with the client's own checks and identity rules.</summary>
public sealed class FakeMixpanelClientTests
{
    [Fact]
    public void Track_BeforeAndAfterIdentify_GoesUnderTheDeviceThenTheUserWithSuperProperties()
    {
        var mixpanel = new FakeMixpanelClient();
        mixpanel.Register(new Dictionary<string, object?> { ["plan"] = "free" });

        mixpanel.Track("Viewed Pricing");
        mixpanel.Identify("U1");
        mixpanel.Track("Purchased", new Dictionary<string, object?> { ["plan"] = "pro" });

        mixpanel.Events.Select(e => (e.Name, e.DistinctId, e.UserId)).Should().Equal(
            ("Viewed Pricing", "$device:" + mixpanel.DeviceId, null),
            ("Purchased", "U1", "U1"));
        mixpanel.Events[0].Properties["plan"].Should().Be("free");
        mixpanel.Events[1].Properties["plan"].Should().Be("pro", "the call's own properties win over super properties");
    }

    [Fact]
    public void People_WhileAnonymous_AreHeldUntilIdentifyAndDroppedByReset()
    {
        var mixpanel = new FakeMixpanelClient();
        mixpanel.People.Set("first", 1);
        mixpanel.Reset();
        mixpanel.People.Set("second", 2);

        mixpanel.Identify("U1");

        mixpanel.ProfileUpdates.Should().ContainSingle().Which.Should().Match<ProfileUpdateRecord>(
            u => u.UserId == "U1" && u.Update.Operation == "$set" && u.Update.Names.Single() == "second");
    }

    [Fact]
    public void Reset_GivesANewDeviceAndForgetsTheUserAndSuperProperties()
    {
        var mixpanel = new FakeMixpanelClient();
        mixpanel.Identify("U1");
        mixpanel.Register(new Dictionary<string, object?> { ["plan"] = "pro" });
        var device = mixpanel.DeviceId;

        mixpanel.Reset();

        mixpanel.DeviceId.Should().NotBe(device);
        mixpanel.UserId.Should().BeNull();
        mixpanel.SuperProperties.Should().BeEmpty();
    }

    [Fact]
    public void Calls_WithWhatTheClientRefuses_ThrowAsTheClientDoes()
    {
        var mixpanel = new FakeMixpanelClient();

        mixpanel.Invoking(m => m.Identify("null")).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("userId");
        mixpanel.Invoking(m => m.Track(" ")).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("eventName");
        mixpanel.Invoking(m => m.Track("x", new Dictionary<string, object?> { ["v"] = new object() }))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("properties");
        mixpanel.Invoking(m => m.People.Set("", 1)).Should().Throw<ArgumentException>();
        mixpanel.Events.Should().BeEmpty();
    }

    [Fact]
    public void OptOut_MakesTrackAndPeopleNoOpsUntilOptIn()
    {
        var mixpanel = new FakeMixpanelClient();
        mixpanel.Identify("U1");
        mixpanel.OptOutTracking();

        mixpanel.Track("Ignored");
        mixpanel.People.Set("ignored", true);
        mixpanel.OptInTracking();

        mixpanel.Events.Select(e => e.Name).Should().Equal("$opt_in");
        mixpanel.ProfileUpdates.Should().ContainSingle("opting out deletes the user's profile, as the client does")
            .Which.Should().Match<ProfileUpdateRecord>(u => u.UserId == "U1" && u.Update.Operation == "$delete");
        mixpanel.UserId.Should().BeNull("opting out forgets the user");
    }

    [Fact]
    public void TimeEvent_ThenTrack_AddsDurationOnTheFakesClock()
    {
        var clock = new FakeTimeProvider();
        var mixpanel = new FakeMixpanelClient(clock);
        mixpanel.TimeEvent("Upload");
        clock.Advance(TimeSpan.FromMilliseconds(1500));

        mixpanel.Track("Upload");

        mixpanel.Events.Single().Properties["$duration"].Should().Be(1.5);
    }

    [Fact]
    public void Groups_AreKeptWithTheirKeyAndId()
    {
        var mixpanel = new FakeMixpanelClient();

        mixpanel.SetGroup("company", 42);
        mixpanel.GetGroup("company", 42).Set(new Dictionary<string, object?> { ["name"] = "Acme" });

        mixpanel.SuperProperties["company"].Should().BeEquivalentTo(new object[] { "42" }, "group ids are strings, as Mixpanel types $group_id");
        mixpanel.GroupUpdates.Should().ContainSingle().Which.Should().Match<GroupUpdateRecord>(g => g.GroupKey == "company" && (string)g.GroupId == "42");
    }

    [Fact]
    public void AddGroupAndRemoveGroup_KeepTheKeysListAndMirrorItOnTheProfile_AsTheClientDoes()
    {
        var mixpanel = new FakeMixpanelClient();
        mixpanel.Identify("U1");

        mixpanel.SetGroup("company", new object[] { 42, "acme" });
        mixpanel.AddGroup("company", "globex");
        mixpanel.AddGroup("company", "globex");
        mixpanel.RemoveGroup("company", 42);
        mixpanel.Track("In Groups");
        mixpanel.RemoveGroup("company", "acme");
        mixpanel.RemoveGroup("company", "globex");

        mixpanel.Events.Single().Properties["company"].Should().BeEquivalentTo(new object[] { "acme", "globex" });
        mixpanel.SuperProperties.Should().NotContainKey("company", "leaving the last group of a key drops its super property");
        mixpanel.ProfileUpdates.Select(p => p.Update.Operation).Should().Equal("$set", "$union", "$union", "$remove", "$remove", "$remove");
    }

    [Fact]
    public void Register_ANameTheClientManages_ThrowsAndKeepsTheSuperProperties()
    {
        var mixpanel = new FakeMixpanelClient();
        mixpanel.Register(new Dictionary<string, object?> { ["plan"] = "free" });

        mixpanel.Invoking(m => m.Register(new Dictionary<string, object?> { ["distinct_id"] = "someone" }))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("properties");
        mixpanel.Invoking(m => m.RegisterOnce(new Dictionary<string, object?> { ["$user_id"] = "someone" }))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("properties");
        mixpanel.SuperProperties.Keys.Should().Equal("plan");
    }

    [Fact]
    public void Register_BeyondMixpanelsLimits_ThrowsAsTheClientDoes()
    {
        var mixpanel = new FakeMixpanelClient();
        mixpanel.Register(Enumerable.Range(0, 200).ToDictionary(static i => $"p{i}", static i => (object?)i));

        mixpanel.Invoking(m => m.Register(Enumerable.Range(200, 100).ToDictionary(static i => $"p{i}", static i => (object?)i)))
            .Should().Throw<ArgumentException>("Mixpanel takes fewer than 256 properties on an event").Which.ParamName.Should().Be("properties");
        mixpanel.Invoking(m => m.Register(Enumerable.Range(0, 10).ToDictionary(static i => $"blob{i}", static _ => (object?)Enumerable.Repeat(new string('x', 255), 254).ToArray())))
            .Should().Throw<ArgumentException>("super properties go out with every event").Which.ParamName.Should().Be("properties");
        mixpanel.SuperProperties.Should().HaveCount(200);
    }

    [Fact]
    public void Alias_TheCurrentDistinctId_Throws_AndUnderSimplifiedIdMerge_IsNotSupported()
    {
        var original = new FakeMixpanelClient();
        original.Identify("U1");
        var simplified = new FakeMixpanelClient(new MixpanelOptions { ProjectToken = "token", IdMerge = IdMergeApi.Simplified });

        original.Invoking(m => m.Alias("U1")).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("alias");
        original.Invoking(m => m.Alias("null")).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("alias");
        simplified.Invoking(m => m.Alias("alias-1")).Should().Throw<NotSupportedException>();
    }

    [Fact]
    public void Alias_ThenIdentifyTheAlias_RecordsCreateAliasAndNoIdentify_AsTheClientSends()
    {
        var mixpanel = new FakeMixpanelClient();
        var anonymous = mixpanel.DistinctId;

        mixpanel.Alias("U1");
        mixpanel.Identify("U1");
        mixpanel.Identify("U1");

        mixpanel.AllEvents.Select(e => (e.Name, e.DistinctId)).Should().Equal(("$create_alias", anonymous));
        mixpanel.AllEvents[0].Properties["alias"].Should().Be("U1");
        mixpanel.Events.Should().BeEmpty("$create_alias is the client's own event, not the app's");
    }

    [Fact]
    public void Identify_UnderOriginalIdMerge_RecordsIdentifyLinkingTheDevice()
    {
        var mixpanel = new FakeMixpanelClient();
        var anonymous = mixpanel.DistinctId;

        mixpanel.Identify("U1");

        var identify = mixpanel.AllEvents.Should().ContainSingle().Which;
        identify.Name.Should().Be("$identify");
        identify.DistinctId.Should().Be("U1");
        identify.Properties["$anon_distinct_id"].Should().Be(anonymous);
    }

    [Fact]
    public void Options_HooksAndDeviceIds_AreTheClientsOwn()
    {
        var mixpanel = new FakeMixpanelClient(new MixpanelOptions
        {
            ProjectToken = "token",
            IdMerge = IdMergeApi.Simplified,
            DeviceIdProvider = () => "my-device",
            BeforeSendEvent = e => e.Name == "Secret" ? null : e,
        });

        mixpanel.Track("Secret");
        mixpanel.Track("Public");
        mixpanel.Identify("U1");

        mixpanel.DeviceId.Should().Be("my-device");
        mixpanel.AllEvents.Select(e => e.Name).Should().Equal(["Public"], "the hook filters, and Simplified ID Merge sends no $identify");
        mixpanel.Diagnostics.GetDropped(DropReason.Filtered).Should().Be(1);
    }

    [Fact]
    public void Options_Invalid_ThrowAsTheClientDoes()
    {
        var act = () => new FakeMixpanelClient(new MixpanelOptions());

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("options");
    }

    [Fact]
    public void People_DeleteWhileAnonymous_IsDroppedAndCounted()
    {
        var mixpanel = new FakeMixpanelClient();

        mixpanel.People.DeleteUser();
        mixpanel.Identify("U1");

        mixpanel.ProfileUpdates.Should().BeEmpty("held, a $delete would delete whichever user signs in next");
        mixpanel.Diagnostics.GetDropped(DropReason.NotIdentified).Should().Be(1);
    }

    [Fact]
    public void Track_WithItsOwnTime_IsRecordedAtThatTime()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        var mixpanel = new FakeMixpanelClient(clock);
        var then = clock.GetUtcNow().AddHours(-2);

        mixpanel.Track("Imported", new Dictionary<string, object?> { ["time"] = then });

        mixpanel.Events.Single().Time.Should().Be(then);
    }
}
