using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing.Resolution;

/// <summary>
/// The three flows of Mixpanel's "Identifying Users" page, table by table: every row's resolved distinct id is the table's
/// "distinct_id (set by Mixpanel)". In Original the SDK also sends $identify, which is the row that links.
/// </summary>
public sealed class SeedFlowTests
{
    public static TheoryData<IdMergeApi> BothSystems => new() { IdMergeApi.Original, IdMergeApi.Simplified };

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void Resolve_NewUserSignup_EveryRowMatchesSeedTables(IdMergeApi api)
    {
        var stream = new RecordStream();
        var device = stream.Device(api, "D1");

        device.Track("1");
        device.Track("2");
        AssertRows(stream.Resolve(api), api,
            ("1", "D1", "$device:D1"),
            ("2", "D1", "$device:D1"));

        device.Identify("U1");
        device.Track("3");
        var resolution = stream.Resolve(api);
        AssertRows(resolution, api,
            ("1", "D1", "U1"),
            ("2", "D1", "U1"),
            ("$identify", "D1", "U1"),
            ("3", "D1", "U1"));
        LinkingRow(resolution, api).Notes.Should().Contain("Links $device:D1 ⇒ U1");
        resolution.Findings.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void Resolve_ReturningUserOnNewDevice_EveryRowMatchesSeedTables(IdMergeApi api)
    {
        var stream = new RecordStream();
        var phone = stream.Device(api, "D1");
        phone.Track("1");
        phone.Track("2");
        phone.Identify("U1");
        phone.Track("3");
        var laptop = stream.Device(api, "D2");

        laptop.Track("4");
        laptop.Track("5");
        AssertRows(stream.Resolve(api), api,
            ("1", "D1", "U1"),
            ("2", "D1", "U1"),
            ("$identify", "D1", "U1"),
            ("3", "D1", "U1"),
            ("4", "D2", "$device:D2"),
            ("5", "D2", "$device:D2"));

        laptop.Identify("U1");
        laptop.Track("6");
        var resolution = stream.Resolve(api);
        AssertRows(resolution, api,
            ("1", "D1", "U1"),
            ("2", "D1", "U1"),
            ("$identify", "D1", "U1"),
            ("3", "D1", "U1"),
            ("4", "D2", "U1"),
            ("5", "D2", "U1"),
            ("$identify", "D2", "U1"),
            ("6", "D2", "U1"));
        resolution.Timeline.Should().Contain(row => row.Notes.Contains("Links $device:D2 ⇒ U1"));
        resolution.Clusters.Should().ContainSingle(cluster => cluster.CanonicalId == "U1")
            .Which.Ids.Should().BeEquivalentTo("$device:D1", "U1", "$device:D2");
        resolution.Findings.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void Resolve_MultipleUsersOnOneDevice_EveryRowMatchesSeedTables(IdMergeApi api)
    {
        var stream = new RecordStream();
        var device = stream.Device(api, "D1");

        device.Track("1");
        AssertRows(stream.Resolve(api), api, ("1", "D1", "$device:D1"));

        device.Identify("U1");
        device.Track("2");
        AssertRows(stream.Resolve(api), api,
            ("1", "D1", "U1"),
            ("$identify", "D1", "U1"),
            ("2", "D1", "U1"));

        device.Reset("D2");
        device.Track("3");
        device.Track("4");
        AssertRows(stream.Resolve(api), api,
            ("1", "D1", "U1"),
            ("$identify", "D1", "U1"),
            ("2", "D1", "U1"),
            ("3", "D2", "$device:D2"),
            ("4", "D2", "$device:D2"));

        device.Identify("U2");
        device.Track("5");
        var resolution = stream.Resolve(api);
        AssertRows(resolution, api,
            ("1", "D1", "U1"),
            ("$identify", "D1", "U1"),
            ("2", "D1", "U1"),
            ("3", "D2", "U2"),
            ("4", "D2", "U2"),
            ("$identify", "D2", "U2"),
            ("5", "D2", "U2"));
        resolution.Clusters.Select(cluster => cluster.CanonicalId).Should().Equal("U1", "U2");
        resolution.ResolveDistinctId("$device:D1").Should().Be("U1");
        resolution.ResolveDistinctId("$device:D2").Should().Be("U2");
        resolution.Findings.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void Resolve_NewUserSignup_AnonymousRowsAreMarkedRetroactivelyUpdated(IdMergeApi api)
    {
        var stream = new RecordStream();
        var device = stream.Device(api, "D1");
        device.Track("1");
        device.Identify("U1");
        device.Track("2");

        var resolution = stream.Resolve(api);

        resolution.Timeline[0].SentDistinctId.Should().Be("$device:D1");
        resolution.Timeline[0].Notes.Should().Contain("Retroactively updated");
        resolution.Timeline[^1].Notes.Should().NotContain("Retroactively updated");
    }

    private static TimelineRow LinkingRow(IdentityResolution resolution, IdMergeApi api) =>
        api == IdMergeApi.Original
            ? resolution.Timeline.Single(row => row.Label == "$identify")
            : resolution.Timeline.Single(row => row.Label == "3");

    private static void AssertRows(IdentityResolution resolution, IdMergeApi api, params (string Event, string Device, string Resolved)[] rows)
    {
        var expected = rows.Where(row => api == IdMergeApi.Original || row.Event != "$identify").ToList();
        resolution.Timeline.Select(row => (row.Label, row.DeviceId, row.ResolvedDistinctId))
            .Should().Equal(expected.Select(row => (row.Event, (string?)row.Device, (string?)row.Resolved)));
    }
}
