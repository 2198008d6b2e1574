using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing.Resolution;

public sealed class SimplifiedIdMergeTests
{
    [Fact]
    public void Resolve_DeviceFirstSeenWithOneUserThenAnother_StaysWithFirstUser()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Simplified, "D1");
        var anonymous = device.Track("Viewed Page");
        device.Identify("U1");
        device.Track("Viewed Page");
        device.Identify("U2");
        var second = device.Track("Viewed Page");

        var resolution = stream.Resolve(IdMergeApi.Simplified);

        resolution.ResolvedDistinctIdOf(anonymous).Should().Be("U1");
        resolution.ResolvedDistinctIdOf(second).Should().Be("U2");
        resolution.ResolveDistinctId("$device:D1").Should().Be("U1");
        resolution.Clusters.Select(cluster => cluster.CanonicalId).Should().Equal("U1", "U2");
        resolution.Timeline[^1].Notes.Should().Contain("$device:D1 stays linked to U1");
    }

    [Fact]
    public void Resolve_MergeOfTwoUserIds_NeverMergesThem()
    {
        var stream = new RecordStream();
        stream.Device(IdMergeApi.Simplified, "D1").Identify("U1").Track("Viewed Page");
        stream.Device(IdMergeApi.Simplified, "D2").Identify("U2").Track("Viewed Page");
        stream.Add(MixpanelEndpoint.Import, """{"event":"$merge","properties":{"token":"tok","$distinct_ids":["U1","U2"]}}""");

        var resolution = stream.Resolve(IdMergeApi.Simplified);

        resolution.ResolveDistinctId("U2").Should().Be("U2");
        resolution.Clusters.Select(cluster => cluster.CanonicalId).Should().Equal("U1", "U2");
        resolution.Findings.Should().ContainSingle().Which.Kind.Should().Be(IdentityFindingKind.IdentityEventIgnored);
    }

    [Fact]
    public void Resolve_IdentifyEvent_LinksOnlyThroughItsDeviceAndUserIds()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Original, "D1");
        var anonymous = device.Track("Viewed Page");
        device.Identify("U1");

        var resolution = stream.Resolve(IdMergeApi.Simplified);

        resolution.ResolvedDistinctIdOf(anonymous).Should().Be("U1");
        resolution.Timeline[1].Notes.Should().Contain("Links $device:D1 ⇒ U1");
        resolution.Findings.Should().BeEmpty();
    }

    [Fact]
    public void Resolve_EventsWithOnlyDistinctId_ReadDevicePrefixAsDeviceAndAnythingElseAsUser()
    {
        var stream = new RecordStream();
        stream.Add(MixpanelEndpoint.Import, """{"event":"Installed","properties":{"token":"tok","distinct_id":"$device:D1","$insert_id":"a"}}""");
        stream.Add(MixpanelEndpoint.Import, """{"event":"Purchased","properties":{"token":"tok","distinct_id":"U1","$insert_id":"b"}}""");

        var resolution = stream.Resolve(IdMergeApi.Simplified);

        resolution.ResolvedDistinctIdOf("a").Should().Be("$device:D1");
        resolution.ResolvedDistinctIdOf("b").Should().Be("U1");
        resolution.Clusters.Should().HaveCount(2);
    }

    [Fact]
    public void Resolve_EventWithDeviceIdButNoUserId_IsAttributedToTheDevice()
    {
        var stream = new RecordStream();
        stream.Add(MixpanelEndpoint.Track, """{"event":"Viewed Page","properties":{"token":"tok","distinct_id":"U1","$device_id":"D1","$insert_id":"a"}}""");

        stream.Resolve(IdMergeApi.Simplified).ResolvedDistinctIdOf("a").Should().Be("$device:D1");
    }

    [Fact]
    public void Resolve_ProfileUpdateCarryingDeviceAndUser_LinksNothing()
    {
        var stream = new RecordStream();
        var anonymous = stream.Device(IdMergeApi.Simplified, "D1").Track("Viewed Page");
        stream.Add(MixpanelEndpoint.Engage, """{"$token":"tok","$distinct_id":"U1","$device_id":"D1","$user_id":"U1","$set":{"plan":"pro"}}""");

        var resolution = stream.Resolve(IdMergeApi.Simplified);

        resolution.ResolvedDistinctIdOf(anonymous).Should().Be("$device:D1");
        resolution.ResolveDistinctId("$device:D1").Should().Be("$device:D1");
    }

    [Fact]
    public void Resolve_GroupUpdate_IsNotPartOfIdentity()
    {
        var stream = new RecordStream();
        stream.Add(MixpanelEndpoint.Groups, """{"$token":"tok","$group_key":"company","$group_id":"acme","$set":{"size":10}}""");

        var resolution = stream.Resolve(IdMergeApi.Simplified);

        resolution.Timeline.Should().ContainSingle().Which.ResolvedDistinctId.Should().BeNull();
        resolution.Clusters.Should().BeEmpty();
        resolution.Profiles.Should().BeEmpty();
    }
}
