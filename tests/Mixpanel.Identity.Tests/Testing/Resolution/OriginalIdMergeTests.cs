using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing.Resolution;

public sealed class OriginalIdMergeTests
{
    [Fact]
    public void Resolve_IdentifyInApiForm_LinksAnonIdToIdentifiedId()
    {
        var stream = new RecordStream();
        const string Anonymous = "1f0b4c6e-3d2a-4e8b-9c5d-7a6b5c4d3e2f";
        stream.Add(MixpanelEndpoint.Track, $$$"""{"event":"Viewed Page","properties":{"token":"tok","distinct_id":"{{{Anonymous}}}","$insert_id":"a1"}}""");
        stream.Add(MixpanelEndpoint.Import, $$$"""{"event":"$identify","properties":{"token":"tok","$identified_id":"U1","$anon_id":"{{{Anonymous}}}"}}""");

        var resolution = stream.Resolve(IdMergeApi.Original);

        resolution.ResolvedDistinctIdOf("a1").Should().Be("U1");
        resolution.Clusters.Should().ContainSingle().Which.CanonicalId.Should().Be("U1");
        resolution.Timeline[1].ResolvedDistinctId.Should().Be("U1");
        resolution.Findings.Should().BeEmpty();
    }

    [Fact]
    public void Resolve_EventCarryingDeviceAndUserWithoutIdentify_LinksNothing()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Simplified, "D1");
        var anonymous = device.Track("Viewed Page");
        device.Identify("U1");
        device.Track("Signed Up");

        var resolution = stream.Resolve(IdMergeApi.Original);

        resolution.ResolvedDistinctIdOf(anonymous).Should().Be("$device:D1");
        resolution.Clusters.Select(cluster => cluster.CanonicalId).Should().Equal("$device:D1", "U1");
    }

    [Fact]
    public void Resolve_IdentifyFromPreviousUserId_IsIgnored()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Original, "D1");
        device.Identify("U1");
        device.Identify("U2");
        device.Track("Viewed Page");

        var resolution = stream.Resolve(IdMergeApi.Original);

        resolution.ResolveDistinctId("U2").Should().Be("U2");
        resolution.Findings.Should().Contain(finding => finding.Kind == IdentityFindingKind.IdentifyIgnored
            && finding.Message.Contains("'U1' is neither", StringComparison.Ordinal));
    }

    [Fact]
    public void Resolve_ImportedMergeOfTwoUserIds_JoinsClustersUnderFirstSeenUserId()
    {
        var stream = new RecordStream();
        var phone = stream.Device(IdMergeApi.Original, "D1");
        phone.Identify("U1");
        var laptop = stream.Device(IdMergeApi.Original, "D2");
        laptop.Identify("U2");
        var onLaptop = laptop.Track("Viewed Page");
        stream.Add(MixpanelEndpoint.Import, """{"event":"$merge","properties":{"token":"tok","$distinct_ids":["U2","U1"]}}""");

        var resolution = stream.Resolve(IdMergeApi.Original);

        resolution.Clusters.Should().ContainSingle().Which.Ids.Should().Equal("$device:D1", "U1", "$device:D2", "U2");
        resolution.ResolveDistinctId("U2").Should().Be("U1");
        resolution.ResolvedDistinctIdOf(onLaptop).Should().Be("U1");
        resolution.Timeline[^1].Notes.Should().Contain("Merges");
    }

    [Theory]
    [InlineData("""["U1"]""")]
    [InlineData("""["U1","U2","U3"]""")]
    [InlineData("""["U1",2]""")]
    public void Resolve_MergeWithoutExactlyTwoIds_IsIgnored(string ids)
    {
        var stream = new RecordStream();
        stream.Add(MixpanelEndpoint.Import, $$$"""{"event":"$merge","properties":{"token":"tok","$distinct_ids":{{{ids}}}}}""");

        var resolution = stream.Resolve(IdMergeApi.Original);

        resolution.Findings.Should().ContainSingle().Which.Kind.Should().Be(IdentityFindingKind.IdentityEventIgnored);
        resolution.ResolveDistinctId("U1").Should().Be("U1");
    }

    [Fact]
    public void Resolve_LegacyAliasOnSignUp_LinksDeviceToAliasAsCanonicalId()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Original, "D1");
        var anonymous = device.Track("Viewed Page");
        device.Alias("U1");

        var resolution = stream.Resolve(IdMergeApi.Original);

        resolution.ResolvedDistinctIdOf(anonymous).Should().Be("U1");
        resolution.Timeline[^1].Notes.Should().Contain("Alias U1 ⇒ $device:D1");
        resolution.Findings.Should().BeEmpty();
    }

    [Fact]
    public void Resolve_AliasOfIdentifiedUser_AddsAliasToItsCluster()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Original, "D1");
        device.Identify("U1");
        device.Alias("crm-77");
        stream.Add(MixpanelEndpoint.Track, """{"event":"Ticket Opened","properties":{"token":"tok","distinct_id":"crm-77","$insert_id":"t1"}}""");

        var resolution = stream.Resolve(IdMergeApi.Original);

        resolution.ResolvedDistinctIdOf("t1").Should().Be("U1");
        resolution.Clusters.Should().ContainSingle().Which.Ids.Should().Equal("$device:D1", "U1", "crm-77");
    }

    [Fact]
    public void Resolve_AnonymousIdsMergedWithoutUser_CanStillBeIdentified()
    {
        var stream = new RecordStream();
        stream.Device(IdMergeApi.Original, "D1").Track("Viewed Page");
        var second = stream.Device(IdMergeApi.Original, "D2");
        second.Track("Viewed Page");
        stream.Add(MixpanelEndpoint.Import, """{"event":"$merge","properties":{"token":"tok","$distinct_ids":["$device:D1","$device:D2"]}}""");
        second.Identify("U1");

        var resolution = stream.Resolve(IdMergeApi.Original);

        resolution.ResolveDistinctId("$device:D1").Should().Be("U1");
        resolution.Clusters.Should().ContainSingle().Which.CanonicalId.Should().Be("U1");
    }

    [Theory]
    [InlineData("null")]
    [InlineData("undefined")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    public void Resolve_IdentifyWithInvalidId_IsIgnored(string invalid)
    {
        var stream = new RecordStream();
        stream.Device(IdMergeApi.Original, "D1").Track("Viewed Page");
        stream.Add(MixpanelEndpoint.Track, $$$"""{"event":"$identify","properties":{"token":"tok","distinct_id":"{{{invalid}}}","$anon_distinct_id":"$device:D1"}}""");

        var resolution = stream.Resolve(IdMergeApi.Original);

        resolution.ResolveDistinctId("$device:D1").Should().Be("$device:D1");
        resolution.Findings.Should().ContainSingle().Which.Message.Should().Contain("invalid");
    }

    [Fact]
    public void Resolve_UserIdSeenBeforeDevice_StaysCanonical()
    {
        var stream = new RecordStream();
        stream.Add(MixpanelEndpoint.Engage, """{"$token":"tok","$distinct_id":"U1","$set":{"plan":"pro"}}""");
        stream.Device(IdMergeApi.Original, "D1").Identify("U1");

        var resolution = stream.Resolve(IdMergeApi.Original);

        resolution.Clusters.Should().ContainSingle().Which.CanonicalId.Should().Be("U1");
        resolution.ProfileOf("$device:D1")!.Properties["plan"].GetString().Should().Be("pro");
        resolution.Findings.Should().BeEmpty();
    }
}
