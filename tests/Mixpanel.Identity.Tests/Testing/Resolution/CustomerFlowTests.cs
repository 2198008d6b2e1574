using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing.Resolution;

/// <summary>
/// Our first customer: one account per phone number, several in-app profiles (solo, partner) per account. Identify with the
/// account id on sign-up, People.Set the active profile on a switch (no reset), Reset() on logout.
/// </summary>
public sealed class CustomerFlowTests
{
    public static TheoryData<IdMergeApi> BothSystems => new() { IdMergeApi.Original, IdMergeApi.Simplified };

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void Resolve_AccountSwitchingProfilesThenSecondAccount_EachAccountIsOneUserWithItsActiveProfile(IdMergeApi api)
    {
        var stream = new RecordStream();
        var app = stream.Device(api, "D1");
        var opened = app.Track("App Opened");
        app.Track("Viewed Onboarding");
        app.Identify("acct-1001");
        app.Track("Signed Up", new JsonObject { ["active_profile_id"] = "p-solo" });
        app.Set("active_profile_id", "p-solo");
        app.Set("active_profile_type", "solo");
        app.Track("Switched Profile", new JsonObject { ["active_profile_id"] = "p-partner" });
        app.Set("active_profile_id", "p-partner");
        app.Set("active_profile_type", "partner");
        app.Track("Switched Profile", new JsonObject { ["active_profile_id"] = "p-solo" });
        app.Set("active_profile_id", "p-solo");
        app.Set("active_profile_type", "solo");
        var loggedOut = app.Track("Logged Out");
        app.Reset("D2");
        var secondOpened = app.Track("App Opened");
        app.Identify("acct-2002");
        app.Track("Signed Up", new JsonObject { ["active_profile_id"] = "p-couple" });
        app.Set("active_profile_id", "p-couple");

        var resolution = stream.Resolve(api);

        resolution.ResolvedDistinctIdOf(opened).Should().Be("acct-1001");
        resolution.ResolvedDistinctIdOf(loggedOut).Should().Be("acct-1001");
        resolution.ResolvedDistinctIdOf(secondOpened).Should().Be("acct-2002");
        resolution.Timeline.Where(row => row.DeviceId == "D1").Select(row => row.ResolvedDistinctId).Should().OnlyContain(id => id == "acct-1001");
        resolution.Timeline.Where(row => row.DeviceId == "D2").Select(row => row.ResolvedDistinctId).Should().OnlyContain(id => id == "acct-2002");
        resolution.Clusters.Select(cluster => cluster.CanonicalId).Should().Equal("acct-1001", "acct-2002");
        var first = resolution.ProfileOf("acct-1001")!;
        first.Properties["active_profile_id"].GetString().Should().Be("p-solo");
        first.Properties["active_profile_type"].GetString().Should().Be("solo");
        resolution.ProfileOf("$device:D2")!.Properties["active_profile_id"].GetString().Should().Be("p-couple");
        resolution.Profiles.Should().HaveCount(2).And.OnlyContain(profile => !profile.IsOrphaned && !profile.IsAnonymous);
        resolution.Findings.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void Resolve_SignUpSecondDeviceLogoutWithResetAndSecondUser_RaisesNoFindings(IdMergeApi api)
    {
        var stream = new RecordStream();
        var phone = stream.Device(api, "D1");
        phone.Track("Viewed Page");
        phone.Identify("U1");
        phone.Track("Signed Up");
        phone.Set("plan", "pro");
        var laptop = stream.Device(api, "D2");
        laptop.Track("Viewed Page");
        laptop.Identify("U1");
        laptop.Track("Logged In");
        laptop.Track("Log Out");
        laptop.Reset("D3");
        laptop.Track("Viewed Page");
        laptop.Identify("U2");
        laptop.Track("Logged In");
        laptop.Set("plan", "free");

        var resolution = stream.Resolve(api);

        resolution.Findings.Should().BeEmpty();
        resolution.Clusters.Should().HaveCount(2);
        resolution.ResolveDistinctId("$device:D2").Should().Be("U1");
        resolution.ResolveDistinctId("$device:D3").Should().Be("U2");
        resolution.ProfileOf("U1")!.Properties["plan"].GetString().Should().Be("pro");
        resolution.ProfileOf("U2")!.Properties["plan"].GetString().Should().Be("free");
    }
}
