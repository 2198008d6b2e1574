using System.Text.Json;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing.Resolution;

public sealed class IdentityResolverTests
{
    [Fact]
    public void Resolve_NullRecords_Throws()
    {
        var act = () => IdentityResolver.Resolve(null!, IdMergeApi.Original);

        act.Should().Throw<ArgumentNullException>().WithParameterName("records");
    }

    [Fact]
    public void Resolve_NullAmongRecords_Throws()
    {
        var act = () => IdentityResolver.Resolve([null!], IdMergeApi.Original);

        act.Should().Throw<ArgumentException>().WithParameterName("records");
    }

    [Fact]
    public void Resolve_UndefinedApi_Throws()
    {
        var act = () => IdentityResolver.Resolve([], (IdMergeApi)7);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("api");
    }

    [Fact]
    public void Resolve_NoRecords_ReturnsAnEmptyResolution()
    {
        var resolution = IdentityResolver.Resolve([], IdMergeApi.Simplified);

        resolution.Api.Should().Be(IdMergeApi.Simplified);
        resolution.Timeline.Should().BeEmpty();
        resolution.Clusters.Should().BeEmpty();
        resolution.Profiles.Should().BeEmpty();
        resolution.Findings.Should().BeEmpty();
    }

    [Fact]
    public void Resolve_RecordsOutOfOrder_AreProcessedInSequenceOrder()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Original, "D1");
        device.Track("Viewed Page");
        device.Identify("U1");
        device.Track("Signed Up");

        var resolution = IdentityResolver.Resolve(stream.Records.Reverse(), IdMergeApi.Original);

        resolution.Timeline.Select(row => row.Record.Sequence).Should().BeInAscendingOrder();
        resolution.Timeline.Select(row => row.ResolvedDistinctId).Should().OnlyContain(id => id == "U1");
    }

    [Fact]
    public void ResolvedDistinctIdOf_InsertIds_ResolveRetroactively()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Simplified, "D1");
        var anonymous = device.Track("Viewed Page");
        device.Identify("U1");
        device.Track("Signed Up");

        var resolution = stream.Resolve(IdMergeApi.Simplified);

        resolution.ResolvedDistinctIdOf(anonymous).Should().Be("U1");
        resolution.ResolvedDistinctIdOf("no-such-event").Should().BeNull();
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public void ResolveDistinctId_IdNeverSeen_ReturnsItself(IdMergeApi api)
    {
        IdentityResolver.Resolve([], api).ResolveDistinctId("U9").Should().Be("U9");
    }

    [Fact]
    public void Resolve_SameEventDeliveredTwice_IsNotedAsDuplicate()
    {
        var stream = new RecordStream();
        stream.Device(IdMergeApi.Simplified, "D1").Track("Viewed Page");
        var retried = stream.Records[0].Json.GetRawText();
        stream.Add(MixpanelEndpoint.Track, retried);

        var resolution = stream.Resolve(IdMergeApi.Simplified);

        resolution.Timeline[1].Notes.Should().Contain("Duplicate of #0");
    }

    [Fact]
    public void Resolve_TimeInSeconds_IsReadLikeMilliseconds()
    {
        var stream = new RecordStream();
        stream.Add(MixpanelEndpoint.Track, """{"event":"A","properties":{"token":"tok","distinct_id":"U1","time":1700000000,"$insert_id":"x"}}""");
        stream.Add(MixpanelEndpoint.Track, """{"event":"A","properties":{"token":"tok","distinct_id":"U1","time":1700000000000,"$insert_id":"x"}}""");

        stream.Resolve(IdMergeApi.Original).Timeline[1].Notes.Should().Contain("Duplicate of #0");
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public void Resolve_SameRecordsTwice_GivesTheSameReport(IdMergeApi api)
    {
        var stream = new RecordStream();
        var device = stream.Device(api, "D1");
        device.Set("plan", "trial");
        device.Identify("jane@example.com");
        device.Track("Log Out");
        device.Track("Viewed Page");

        stream.Resolve(api).ToMarkdown().Should().Be(stream.Resolve(api).ToMarkdown());
    }

    [Fact]
    public void Resolve_RecordJson_IsReadNotChanged()
    {
        var stream = new RecordStream();
        stream.Device(IdMergeApi.Original, "D1").Identify("U1").Set("plan", "pro");
        var before = stream.Records.Select(record => record.Json.GetRawText()).ToList();

        _ = stream.Resolve(IdMergeApi.Original);

        stream.Records.Select(record => record.Json.GetRawText()).Should().Equal(before);
        stream.Records.Should().OnlyContain(record => record.Json.ValueKind == JsonValueKind.Object);
    }
}
