using System.Text.Json.Nodes;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing.Resolution;

public sealed class FindingTests
{
    public static TheoryData<IdMergeApi> BothSystems => new() { IdMergeApi.Original, IdMergeApi.Simplified };

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void Resolve_SecondUserOnDeviceWithoutReset_ReportsSecondUserOnDevice(IdMergeApi api)
    {
        var stream = new RecordStream();
        var device = stream.Device(api, "D1");
        device.Track("Viewed Page");
        device.Identify("U1");
        var lastOfFirst = device.Track("Viewed Page");
        device.Identify("U2");
        var second = device.Track("Viewed Page");

        var resolution = stream.Resolve(api);

        var finding = resolution.Findings.Should().ContainSingle(item => item.Kind == IdentityFindingKind.SecondUserOnDevice).Subject;
        finding.Records.Should().HaveCount(2);
        finding.Records[0].InsertId.Should().Be(lastOfFirst);
        finding.Records[1].UserId.Should().Be("U2");
        finding.Records[1].EventName.Should().Be(api == IdMergeApi.Original ? "$identify" : "Viewed Page");
        finding.Message.Should().Contain("U1").And.Contain("U2").And.Contain("Reset()").And.Contain("stays");
        resolution.ResolveDistinctId("$device:D1").Should().Be("U1");
        resolution.ResolvedDistinctIdOf(second).Should().Be("U2");
    }

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void Resolve_ProfileSetOnDeviceThenLinked_ReportsAnonymousProfileWithLostProperties(IdMergeApi api)
    {
        var stream = new RecordStream();
        var device = stream.Device(api, "D1");
        device.Track("Viewed Page");
        device.Set("plan", "trial");
        device.Identify("U1");
        device.Track("Signed Up");

        var resolution = stream.Resolve(api);

        var finding = resolution.Findings.Should().ContainSingle().Subject;
        finding.Kind.Should().Be(IdentityFindingKind.AnonymousProfile);
        finding.Message.Should().Contain("$device:D1").And.Contain("lost").And.Contain("plan");
        finding.Records.Should().Contain(record => record.Endpoint == MixpanelEndpoint.Engage);
        finding.Records.Should().Contain(record => resolution.Clusters.Single().LinkingRecords.Contains(record));
    }

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void Resolve_ProfileSetOnDeviceNeverLinked_ReportsAnonymousProfile(IdMergeApi api)
    {
        var stream = new RecordStream();
        var device = stream.Device(api, "D1");
        device.Track("Viewed Page");
        device.Set("theme", "dark");

        var resolution = stream.Resolve(api);

        var finding = resolution.Findings.Should().ContainSingle().Subject;
        finding.Kind.Should().Be(IdentityFindingKind.AnonymousProfile);
        finding.Message.Should().Contain("anonymous user");
        resolution.Profiles.Single().IsOrphaned.Should().BeFalse();
    }

    [Fact]
    public void Resolve_MergeOfTwoUsersWithProfiles_ReportsOrphanedProfile()
    {
        var stream = new RecordStream();
        var first = stream.Device(IdMergeApi.Original, "D1");
        first.Identify("U1");
        first.Set("plan", "pro");
        var second = stream.Device(IdMergeApi.Original, "D2");
        second.Identify("U2");
        second.Set("plan", "free");
        stream.Add(MixpanelEndpoint.Import, """{"event":"$merge","properties":{"token":"tok","$distinct_ids":["U2","U1"]}}""");

        var resolution = stream.Resolve(IdMergeApi.Original);

        var finding = resolution.Findings.Should().ContainSingle().Subject;
        finding.Kind.Should().Be(IdentityFindingKind.OrphanedProfile);
        finding.Message.Should().Contain("U2").And.Contain("plan");
        resolution.ProfileOf("U2")!.DistinctId.Should().Be("U1");
        resolution.ProfileOf("U2")!.Properties["plan"].GetString().Should().Be("pro");
    }

    [Fact]
    public void Resolve_ClusterReaching400Ids_ReportsClusterNearLimitInOriginalOnly()
    {
        var original = LoginsFromFreshDevices(IdMergeApi.Original, 420).Resolve(IdMergeApi.Original);
        var simplified = LoginsFromFreshDevices(IdMergeApi.Simplified, 420).Resolve(IdMergeApi.Simplified);

        var finding = original.Findings.Should().ContainSingle(item => item.Kind == IdentityFindingKind.ClusterNearLimit).Subject;
        finding.Message.Should().Contain("421 ids").And.Contain("500");
        finding.Records.Should().ContainSingle().Which.EventName.Should().Be("$identify");
        original.Findings.Should().NotContain(item => item.Kind == IdentityFindingKind.ClusterLimitReached);
        simplified.Findings.Should().NotContain(item => item.Kind == IdentityFindingKind.ClusterNearLimit);
    }

    [Fact]
    public void Resolve_MergesBeyond500Ids_AreRefusedAndReported()
    {
        var resolution = LoginsFromFreshDevices(IdMergeApi.Original, 505).Resolve(IdMergeApi.Original);

        var cluster = resolution.Clusters.Single(item => item.CanonicalId == "U1");
        cluster.Ids.Should().HaveCount(500);
        resolution.ResolveDistinctId("$device:D499").Should().Be("U1");
        resolution.ResolveDistinctId("$device:D500").Should().Be("$device:D500");
        resolution.Timeline.Where(row => row.DeviceId == "D505").Select(row => row.ResolvedDistinctId)
            .Should().OnlyContain(id => id == "$device:D505" || id == "U1");
        var finding = resolution.Findings.Should().ContainSingle(item => item.Kind == IdentityFindingKind.ClusterLimitReached).Subject;
        finding.Records.Should().HaveCount(6).And.OnlyContain(record => record.EventName == "$identify");
        finding.Message.Should().Contain("$device:D500").And.Contain("500");
    }

    [Fact]
    public void Resolve_ManyDevicesForOneUserInSimplified_AllLinkWithoutLimit()
    {
        var resolution = LoginsFromFreshDevices(IdMergeApi.Simplified, 505).Resolve(IdMergeApi.Simplified);

        resolution.Clusters.Should().ContainSingle().Which.Ids.Should().HaveCount(506);
        resolution.ResolveDistinctId("$device:D505").Should().Be("U1");
        resolution.Findings.Should().ContainSingle().Which.Kind.Should().Be(IdentityFindingKind.RepeatedReset);
    }

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void Resolve_ResetOnEveryProfileSwitch_ReportsRepeatedReset(IdMergeApi api)
    {
        var stream = new RecordStream();
        var app = stream.Device(api, "D1");
        app.Identify("acct-1001");
        app.Track("Signed Up");
        app.Reset("D2").Identify("acct-1001");
        app.Track("Switched Profile", new JsonObject { ["active_profile_id"] = "p-partner" });
        app.Reset("D3").Identify("acct-1001");
        app.Track("Switched Profile", new JsonObject { ["active_profile_id"] = "p-solo" });

        var resolution = stream.Resolve(api);

        var finding = resolution.Findings.Should().ContainSingle().Subject;
        finding.Kind.Should().Be(IdentityFindingKind.RepeatedReset);
        finding.Message.Should().Contain("acct-1001").And.Contain("3 different device ids").And.Contain("profile switch");
        finding.Records.Select(record => record.DeviceId).Should().Equal("D1", "D2", "D3");
    }

    [Theory]
    [InlineData("jane@example.com", "email")]
    [InlineData("+15550102030", "phone")]
    [InlineData("+1 555 010 2030", "phone")]
    [InlineData("(555) 010-2030", "phone")]
    public void Resolve_ContactDetailAsUserId_ReportsPersonalDataAsId(string userId, string what)
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Original, "D1");
        device.Track("Viewed Page");
        device.Identify(userId);
        device.Track("Signed Up");

        var resolution = stream.Resolve(IdMergeApi.Original);

        var finding = resolution.Findings.Should().ContainSingle().Subject;
        finding.Kind.Should().Be(IdentityFindingKind.PersonalDataAsId);
        finding.Message.Should().Contain(userId).And.Contain(what);
        finding.Records.Should().ContainSingle().Which.EventName.Should().Be("$identify");
    }

    [Theory]
    [InlineData("1234567")]
    [InlineData("acct-1001")]
    [InlineData("5b0c3a8e-9a43-4a56-a3c1-2f3e7f0d1c55")]
    [InlineData("user_42")]
    public void Resolve_StableDatabaseIdAsUserId_RaisesNoFinding(string userId)
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Simplified, "D1");
        device.Identify(userId);
        device.Track("Signed Up");

        stream.Resolve(IdMergeApi.Simplified).Findings.Should().BeEmpty();
    }

    [Theory]
    [InlineData(IdMergeApi.Original, "Logout")]
    [InlineData(IdMergeApi.Original, "Log Out")]
    [InlineData(IdMergeApi.Simplified, "Sign Out")]
    [InlineData(IdMergeApi.Simplified, "Signed Out")]
    [InlineData(IdMergeApi.Simplified, "user_logged_out")]
    public void Resolve_EventsAfterLogoutWithoutReset_ReportsEventsAfterLogout(IdMergeApi api, string logout)
    {
        var stream = new RecordStream();
        var device = stream.Device(api, "D1");
        device.Identify("U1");
        device.Track("Viewed Page");
        var logoutId = device.Track(logout);
        var afterId = device.Track("Viewed Page");

        var resolution = stream.Resolve(api);

        var finding = resolution.Findings.Should().ContainSingle().Subject;
        finding.Kind.Should().Be(IdentityFindingKind.EventsAfterLogout);
        finding.Records.Select(record => record.InsertId).Should().Equal(logoutId, afterId);
        finding.Message.Should().Contain(logout).And.Contain("U1").And.Contain("Reset()");
    }

    [Fact]
    public void Resolve_IdentifyWhoseAnonymousIdIsMergedElsewhere_ReportsIdentifyIgnored()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Original, "D1");
        device.Track("Viewed Page");
        device.Identify("U1");
        stream.Add(
            MixpanelEndpoint.Track,
            """{"event":"$identify","properties":{"token":"tok","$identified_id":"U2","$anon_id":"$device:D1","time":1700000100000}}""");

        var resolution = stream.Resolve(IdMergeApi.Original);

        var finding = resolution.Findings.Should().ContainSingle().Subject;
        finding.Kind.Should().Be(IdentityFindingKind.IdentifyIgnored);
        finding.Message.Should().Contain("$device:D1").And.Contain("already merged with U1");
        resolution.ResolveDistinctId("$device:D1").Should().Be("U1");
        resolution.ResolveDistinctId("U2").Should().Be("U2");
        resolution.Timeline[^1].Notes.Should().Contain("$identify ignored");
    }

    [Fact]
    public void Resolve_AliasAlreadyLinkedToAnotherUser_ReportsIdentityEventIgnored()
    {
        var stream = new RecordStream();
        var first = stream.Device(IdMergeApi.Original, "D1");
        first.Identify("U1");
        var second = stream.Device(IdMergeApi.Original, "D2");
        second.Identify("U2");
        second.Alias("$device:D1");

        var resolution = stream.Resolve(IdMergeApi.Original);

        var finding = resolution.Findings.Should().ContainSingle().Subject;
        finding.Kind.Should().Be(IdentityFindingKind.IdentityEventIgnored);
        finding.Message.Should().Contain("one distinct id");
        resolution.ResolveDistinctId("$device:D1").Should().Be("U1");
    }

    [Fact]
    public void Resolve_MergeSentToTrack_ReportsIdentityEventIgnored()
    {
        var stream = new RecordStream();
        stream.Add(MixpanelEndpoint.Track, """{"event":"$merge","properties":{"token":"tok","$distinct_ids":["U1","U2"]}}""");

        var resolution = stream.Resolve(IdMergeApi.Original);

        resolution.Findings.Should().ContainSingle().Which.Message.Should().Contain("/import");
        resolution.ResolveDistinctId("U2").Should().Be("U2");
    }

    [Fact]
    public void Resolve_AliasInSimplified_ReportsIdentityEventIgnored()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Original, "D1");
        device.Identify("U1");
        device.Alias("crm-77");

        var resolution = stream.Resolve(IdMergeApi.Simplified);

        var finding = resolution.Findings.Should().ContainSingle().Subject;
        finding.Kind.Should().Be(IdentityFindingKind.IdentityEventIgnored);
        finding.Message.Should().Contain("no special meaning");
        resolution.ResolveDistinctId("crm-77").Should().Be("crm-77");
    }

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void Resolve_EveryFinding_NamesRecordsInProcessingOrder(IdMergeApi api)
    {
        var stream = new RecordStream();
        var device = stream.Device(api, "D1");
        device.Set("plan", "trial");
        device.Identify("jane@example.com");
        device.Track("Log Out");
        device.Track("Viewed Page");
        device.Identify("U2");
        device.Track("Viewed Page");

        var resolution = stream.Resolve(api);

        resolution.Findings.Should().HaveCountGreaterThan(3);
        resolution.Findings.Should().OnlyContain(finding => finding.Records.Count > 0);
        resolution.Findings.Should().OnlyContain(finding =>
            finding.Records.Select(record => record.Sequence).SequenceEqual(finding.Records.Select(record => record.Sequence).Order()));
        resolution.Findings.Select(finding => finding.Records[0].Sequence).Should().BeInAscendingOrder();
    }

    private static RecordStream LoginsFromFreshDevices(IdMergeApi api, int logins)
    {
        var stream = new RecordStream();
        var app = stream.Device(api, "D1");
        for (var login = 1; login <= logins; login++)
        {
            if (login > 1)
            {
                app.Reset($"D{login}");
            }

            app.Track("App Opened");
            app.Identify("U1");
            app.Track("Home Viewed");
        }

        return stream;
    }
}
