using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing.Resolution;

public sealed class ProfileTests
{
    public static TheoryData<IdMergeApi> BothSystems => new() { IdMergeApi.Original, IdMergeApi.Simplified };

    [Fact]
    public void Resolve_EveryProfileOperation_IsAppliedInOrder()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Simplified, "D1").Identify("U1");
        device.Engage("$set", new JsonObject { ["plan"] = "free", ["name"] = "Jane", ["tags"] = new JsonArray("a") });
        device.Engage("$set_once", new JsonObject { ["plan"] = "pro", ["first_seen"] = "2024-01-01" });
        device.Engage("$add", new JsonObject { ["logins"] = 1 });
        device.Engage("$add", new JsonObject { ["logins"] = 2.5 });
        device.Engage("$append", new JsonObject { ["tags"] = "b", ["history"] = "x" });
        device.Engage("$union", new JsonObject { ["tags"] = new JsonArray("b", "c") });
        device.Engage("$remove", new JsonObject { ["tags"] = "a" });
        device.Engage("$unset", new JsonArray("name"));

        var properties = stream.Resolve(IdMergeApi.Simplified).ProfileOf("U1")!.Properties;

        properties.Keys.Should().BeEquivalentTo("plan", "tags", "first_seen", "logins", "history");
        properties["plan"].GetString().Should().Be("free");
        properties["first_seen"].GetString().Should().Be("2024-01-01");
        properties["logins"].GetDecimal().Should().Be(3.5m);
        properties["tags"].EnumerateArray().Select(tag => tag.GetString()).Should().Equal("b", "c");
        properties["history"].EnumerateArray().Select(item => item.GetString()).Should().Equal("x");
    }

    [Fact]
    public void Resolve_OperationsOnPropertiesOfTheWrongType_AreIgnored()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Simplified, "D1").Identify("U1");
        device.Engage("$set", new JsonObject { ["plan"] = "free", ["count"] = 1 });
        device.Engage("$add", new JsonObject { ["plan"] = 1, ["count"] = "x" });
        device.Engage("$append", new JsonObject { ["plan"] = "pro" });
        device.Engage("$union", new JsonObject { ["plan"] = new JsonArray("pro") });

        var properties = stream.Resolve(IdMergeApi.Simplified).ProfileOf("U1")!.Properties;

        properties["plan"].GetString().Should().Be("free");
        properties["count"].GetInt32().Should().Be(1);
    }

    [Fact]
    public void Resolve_DeleteThenSet_StartsANewProfile()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Original, "D1").Identify("U1");
        device.Set("plan", "pro");
        device.Engage("$delete", JsonValue.Create(""));
        device.Set("theme", "dark");

        var resolution = stream.Resolve(IdMergeApi.Original);

        resolution.ProfileOf("U1")!.Properties.Keys.Should().Equal("theme");
        resolution.Timeline.Single(row => row.Label == "profile $delete").Notes.Should().Contain("deleted");
    }

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void Resolve_ProfileSentToDeviceBeforeLink_IsOrphanedAndItsPropertiesLost(IdMergeApi api)
    {
        var stream = new RecordStream();
        var device = stream.Device(api, "D1");
        device.Track("Viewed Page");
        device.Set("plan", "trial");
        device.Identify("U1");
        device.Track("Signed Up");
        device.Set("name", "Jane");

        var resolution = stream.Resolve(api);

        var anonymous = resolution.Profiles.Single(profile => profile.DistinctId == "$device:D1");
        anonymous.IsAnonymous.Should().BeTrue();
        anonymous.IsOrphaned.Should().BeTrue();
        anonymous.ResolvedDistinctId.Should().Be("U1");
        anonymous.Properties["plan"].GetString().Should().Be("trial");
        var visible = resolution.ProfileOf("$device:D1")!;
        visible.DistinctId.Should().Be("U1");
        visible.Properties.Keys.Should().Equal("name");
        resolution.Timeline.Single(row => row.Label == "profile $set" && row.SentDistinctId == "$device:D1")
            .Notes.Should().Contain("Lost");
    }

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void Resolve_ProfileSentToDeviceAfterLink_LandsOnTheUserProfile(IdMergeApi api)
    {
        var stream = new RecordStream();
        var device = stream.Device(api, "D1");
        device.Identify("U1");
        device.Track("Signed Up");
        device.Engage("$set", new JsonObject { ["plan"] = "pro" }, distinctId: "$device:D1");

        var resolution = stream.Resolve(api);

        resolution.Profiles.Should().ContainSingle().Which.DistinctId.Should().Be("U1");
        resolution.Timeline[^1].ResolvedDistinctId.Should().Be("U1");
        resolution.Findings.Should().BeEmpty();
    }

    [Fact]
    public void ProfileOf_UserWithoutProfile_ReturnsNull()
    {
        var stream = new RecordStream();
        stream.Device(IdMergeApi.Simplified, "D1").Identify("U1").Track("Signed Up");

        stream.Resolve(IdMergeApi.Simplified).ProfileOf("U1").Should().BeNull();
    }
}
