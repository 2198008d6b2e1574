using System.Text.Json.Nodes;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

public sealed class ProfileValidationTests
{
    public static TheoryData<string, string> ProfileOperations => new()
    {
        { "$set", """{"plan":"pro","seats":3}""" },
        { "$set_once", """{"first_seen":"2025-06-01"}""" },
        { "$add", """{"logins":1,"credit":-2.5}""" },
        { "$append", """{"devices":"phone"}""" },
        { "$union", """{"devices":["phone","tablet"]}""" },
        { "$remove", """{"devices":"phone"}""" },
        { "$unset", """["plan","seats"]""" },
        { "$delete", "\"\"" },
    };

    public static TheoryData<string, string> GroupOperations => new()
    {
        { "$set", """{"industry":"retail"}""" },
        { "$set_once", """{"founded":1999}""" },
        { "$union", """{"regions":["eu"]}""" },
        { "$remove", """{"regions":"eu"}""" },
        { "$unset", """["industry"]""" },
        { "$delete", "null" },
    };

    [Theory]
    [MemberData(nameof(ProfileOperations))]
    public async Task Engage_EachOperation_Accepts(string operation, string value)
    {
        await using var sut = await CreateSut();
        var update = new JsonObject { ["$token"] = SampleRecords.Token, ["$distinct_id"] = "user-1", [operation] = JsonNode.Parse(value) };

        var answer = await sut.Client.PostAsync("/engage", SampleRecords.Batch(update));

        answer.StatusCode.Should().Be(200, answer.Body);
        var record = sut.Server.Records.Should().ContainSingle().Subject;
        record.Endpoint.Should().Be(MixpanelEndpoint.Engage);
        record.IsEvent.Should().BeFalse();
        record.DistinctId.Should().Be("user-1");
        record.Json.TryGetProperty(operation, out _).Should().BeTrue();
    }

    [Fact]
    public async Task Engage_IdentityAndTimingFields_Accepts()
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.ProfileSet();
        update["$device_id"] = "device-1";
        update["$user_id"] = "user-1";
        update["$ip"] = "0";
        update["$time"] = SampleRecords.Now.ToUnixTimeMilliseconds();
        update["$ignore_time"] = true;
        update["$ignore_alias"] = false;

        var answer = await sut.Client.PostAsync("/engage", SampleRecords.Batch(update));

        answer.StatusCode.Should().Be(200, answer.Body);
        var record = sut.Server.Records.Should().ContainSingle().Subject;
        record.DeviceId.Should().Be("device-1");
        record.UserId.Should().Be("user-1");
        record.Time.Should().Be(SampleRecords.Now.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Engage_DistinctIdMissing_RejectsDistinctId()
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.ProfileSet();
        update.Remove("$distinct_id");

        var rejected = await sut.PostRejectedAsync("/engage", update);

        rejected.Field.Should().Be("$distinct_id");
    }

    [Theory]
    [InlineData("")]
    [InlineData("anonymous")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    public async Task Engage_DistinctIdEmptyOrInvalid_RejectsDistinctId(string distinctId)
    {
        await using var sut = await CreateSut();

        var rejected = await sut.PostRejectedAsync("/engage", SampleRecords.ProfileSet(distinctId));

        rejected.Field.Should().Be("$distinct_id");
    }

    [Fact]
    public async Task Engage_NoOperation_RejectsUpdate()
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.ProfileSet();
        update.Remove("$set");

        var rejected = await sut.PostRejectedAsync("/engage", update);

        rejected.Field.Should().BeEmpty();
        rejected.Message.Should().Contain("one operation");
    }

    [Fact]
    public async Task Engage_TwoOperations_RejectsUpdate()
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.ProfileSet();
        update["$set_once"] = new JsonObject { ["first_seen"] = "today" };

        var rejected = await sut.PostRejectedAsync("/engage", update);

        rejected.Message.Should().Contain("exactly one operation");
    }

    [Fact]
    public async Task Engage_AddWithANonNumericValue_RejectsThatKey()
    {
        await using var sut = await CreateSut();
        var update = new JsonObject { ["$token"] = SampleRecords.Token, ["$distinct_id"] = "user-1", ["$add"] = new JsonObject { ["logins"] = "one" } };

        var rejected = await sut.PostRejectedAsync("/engage", update);

        rejected.Field.Should().Be("$add.logins");
    }

    [Fact]
    public async Task Engage_UnionWithANonArrayValue_RejectsThatKey()
    {
        await using var sut = await CreateSut();
        var update = new JsonObject { ["$token"] = SampleRecords.Token, ["$distinct_id"] = "user-1", ["$union"] = new JsonObject { ["devices"] = "phone" } };

        var rejected = await sut.PostRejectedAsync("/engage", update);

        rejected.Field.Should().Be("$union.devices");
    }

    [Theory]
    [InlineData("\"plan\"")]
    [InlineData("[\"plan\", 3]")]
    public async Task Engage_UnsetNotAnArrayOfNames_RejectsUnset(string value)
    {
        await using var sut = await CreateSut();
        var update = new JsonObject { ["$token"] = SampleRecords.Token, ["$distinct_id"] = "user-1", ["$unset"] = JsonNode.Parse(value) };

        var rejected = await sut.PostRejectedAsync("/engage", update);

        rejected.Field.Should().Be("$unset");
    }

    [Fact]
    public async Task Engage_SetNotAnObject_RejectsSet()
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.ProfileSet();
        update["$set"] = "pro";

        var rejected = await sut.PostRejectedAsync("/engage", update);

        rejected.Field.Should().Be("$set");
    }

    [Theory]
    [InlineData("$email")]
    [InlineData("plan")]
    public async Task Engage_UnknownTopLevelKey_RejectsThatKey(string key)
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.ProfileSet();
        update[key] = "x";

        var rejected = await sut.PostRejectedAsync("/engage", update);

        rejected.Field.Should().Be(key);
    }

    [Fact]
    public async Task Engage_SetValueNestedFourLevels_RejectsThatProperty()
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.ProfileSet();
        update["$set"] = new JsonObject { ["address"] = JsonNode.Parse("""{"a":{"b":{"c":{"d":1}}}}""") };

        var rejected = await sut.PostRejectedAsync("/engage", update);

        rejected.Field.Should().Be("$set.address");
    }

    [Theory]
    [MemberData(nameof(GroupOperations))]
    public async Task Groups_EachOperation_Accepts(string operation, string value)
    {
        await using var sut = await CreateSut();
        var update = new JsonObject
        {
            ["$token"] = SampleRecords.Token,
            ["$group_key"] = "company",
            ["$group_id"] = "acme",
            [operation] = JsonNode.Parse(value),
        };

        var answer = await sut.Client.PostAsync("/groups", SampleRecords.Batch(update));

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Should().ContainSingle().Which.Endpoint.Should().Be(MixpanelEndpoint.Groups);
    }

    [Fact]
    public async Task Groups_NumericGroupId_Accepts()
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.GroupSet();
        update["$group_id"] = 42;

        var answer = await sut.Client.PostAsync("/groups", SampleRecords.Batch(update));

        answer.StatusCode.Should().Be(200, answer.Body);
    }

    [Theory]
    [InlineData("$group_key")]
    [InlineData("$group_id")]
    public async Task Groups_KeyOrIdMissing_RejectsIt(string field)
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.GroupSet();
        update.Remove(field);

        var rejected = await sut.PostRejectedAsync("/groups", update);

        rejected.Field.Should().Be(field);
    }

    [Fact]
    public async Task Groups_Add_RejectsItAsNotAGroupOperation()
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.GroupSet();
        update.Remove("$set");
        update["$add"] = new JsonObject { ["seats"] = 1 };

        var rejected = await sut.PostRejectedAsync("/groups", update);

        rejected.Field.Should().Be("$add");
    }

    [Fact]
    public async Task Engage_LocationAndBrowserLibraryFields_Accepts()
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.ProfileSet();
        update["$latitude"] = 37.77;
        update["$longitude"] = -122.42;
        update["$had_persisted_distinct_id"] = true;

        var answer = await sut.Client.PostAsync("/engage", SampleRecords.Batch(update));

        answer.StatusCode.Should().Be(200, answer.Body);
    }

    [Fact]
    public async Task Engage_LatitudeNotANumber_RejectsIt()
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.ProfileSet();
        update["$latitude"] = "37.77";

        var rejected = await sut.PostRejectedAsync("/engage", update);

        rejected.Field.Should().Be("$latitude");
        rejected.Message.Should().Be("must be a number");
    }

    [Fact]
    public async Task Groups_ModifiersTheNodeLibraryAdds_Accepts()
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.GroupSet();
        update["$ip"] = "136.24.0.114";
        update["$time"] = SampleRecords.Now.ToUnixTimeMilliseconds();
        update["$ignore_time"] = true;
        update["$ignore_alias"] = false;
        update["$latitude"] = 37.77;
        update["$longitude"] = -122.42;

        var answer = await sut.Client.PostAsync("/groups", SampleRecords.Batch(update));

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Should().ContainSingle().Which.GeolocationIp.Should().Be("136.24.0.114");
    }

    [Fact]
    public async Task Groups_DistinctIdIsNotAGroupField_RejectsIt()
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.GroupSet();
        update["$distinct_id"] = "user-1";

        var rejected = await sut.PostRejectedAsync("/groups", update);

        rejected.Field.Should().Be("$distinct_id");
        rejected.Message.Should().Be("not a field Mixpanel accepts in a group update");
    }

    private static Task<RunningServer> CreateSut() => RunningServer.StartAsync();
}
