using System.Text.Json.Nodes;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

public sealed class EventValidationTests
{
    public static TheoryData<string> InvalidDistinctIds => new()
    {
        "00000000-0000-0000-0000-000000000000", "anon", "anonymous", "nil", "none", "null", "n/a", "na", "undefined",
        "unknown", "<nil>", "0", "-1", "true", "false", "[]", "{}", "ANON", "Undefined", "NULL",
    };

    [Theory]
    [MemberData(nameof(InvalidDistinctIds))]
    public async Task Track_InvalidDistinctId_RejectsDistinctId(string distinctId)
    {
        await using var sut = await CreateSut();

        var rejected = await sut.PostRejectedAsync("/track", SampleRecords.Event(distinctId: distinctId));

        rejected.Field.Should().Be("properties.distinct_id");
        rejected.Message.Should().Contain(distinctId);
    }

    [Fact]
    public async Task Track_InvalidDistinctIdWrittenWithEscapes_RejectsDistinctId()
    {
        await using var sut = await CreateSut();
        var body = SampleRecords.Batch(SampleRecords.Event()).Replace("\"user-1\"", "\"\\u0061non\"", StringComparison.Ordinal);

        var answer = await sut.Client.PostAsync("/track", body);

        answer.StatusCode.Should().Be(400);
        sut.Server.RejectedRecords.Should().ContainSingle().Which.Field.Should().Be("properties.distinct_id");
    }

    [Fact]
    public async Task Track_EmptyDistinctId_AcceptsAnEventWithNoUser()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event(distinctId: "")));

        answer.StatusCode.Should().Be(200);
        sut.Server.Records.Should().ContainSingle().Which.DistinctId.Should().BeEmpty();
    }

    [Fact]
    public async Task Track_NumericDistinctId_RejectsDistinctId()
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties()["distinct_id"] = 42;

        var rejected = await sut.PostRejectedAsync("/track", record);

        rejected.Field.Should().Be("properties.distinct_id");
    }

    [Fact]
    public async Task Track_DeviceDistinctId_Accepts()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event(distinctId: "$device:0f6c1b4e-2f7e-4c1c-9d7e-1b7c3f3b2a11")));

        answer.StatusCode.Should().Be(200);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(7)]
    public async Task Track_EventNameMissingEmptyOrNotAString_RejectsEvent(object? name)
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Remove("event");
        if (name is not null)
        {
            record["event"] = JsonValue.Create(name);
        }

        var rejected = await sut.PostRejectedAsync("/track", record);

        rejected.Field.Should().Be("event");
    }

    [Fact]
    public async Task Track_PropertiesMissing_RejectsProperties()
    {
        await using var sut = await CreateSut(o => o.ProjectToken = null);

        var rejected = await sut.PostRejectedAsync("/track", new JsonObject { ["event"] = "Signed Up" });

        rejected.Field.Should().Be("properties");
    }

    [Fact]
    public async Task Track_PropertiesNotAnObject_RejectsProperties()
    {
        await using var sut = await CreateSut(o => o.ProjectToken = null);

        var rejected = await sut.PostRejectedAsync("/track", new JsonObject { ["event"] = "Signed Up", ["properties"] = "x" });

        rejected.Field.Should().Be("properties");
    }

    [Fact]
    public async Task Track_RecordNotAnObject_RejectsRecordAndKeepsItsText()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track", "[" + SampleRecords.Event().ToJsonString() + ", 42]");

        answer.StatusCode.Should().Be(400);
        var rejected = sut.Server.RejectedRecords.Should().ContainSingle().Subject;
        rejected.Index.Should().Be(1);
        rejected.Field.Should().BeEmpty();
        rejected.RawText.Should().Be("42");
        sut.Server.Records.Should().ContainSingle();
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef0123")]
    [InlineData("A-b-C-9")]
    public async Task Track_InsertIdOfUpTo36LettersDigitsAndDashes_Accepts(string insertId)
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event(insertId: insertId)));

        answer.StatusCode.Should().Be(200);
        sut.Server.Records.Should().ContainSingle().Which.InsertId.Should().Be(insertId);
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef01234")]
    [InlineData("has space")]
    [InlineData("under_score")]
    [InlineData("ünïcode")]
    public async Task Track_InsertIdTooLongOrWithOtherCharacters_RejectsInsertId(string insertId)
    {
        await using var sut = await CreateSut();

        var rejected = await sut.PostRejectedAsync("/track", SampleRecords.Event(insertId: insertId));

        rejected.Field.Should().Be("properties.$insert_id");
        rejected.InsertId.Should().Be(insertId);
    }

    [Fact]
    public async Task Track_InsertIdNotAString_RejectsInsertId()
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties()["$insert_id"] = 12345;

        var rejected = await sut.PostRejectedAsync("/track", record);

        rejected.Field.Should().Be("properties.$insert_id");
    }

    [Fact]
    public async Task Track_TimeInSeconds_AcceptsAndReportsMilliseconds()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event(timeMilliseconds: SampleRecords.Now.ToUnixTimeSeconds())));

        answer.StatusCode.Should().Be(200);
        sut.Server.Records.Should().ContainSingle().Which.Time.Should().Be(SampleRecords.Now.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Track_TimeMissing_AcceptsAsNow()
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties().Remove("time");

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(record));

        answer.StatusCode.Should().Be(200);
    }

    [Theory]
    [InlineData(31_535_999)] // 1970-12-31T23:59:59Z in seconds: a millisecond value this small would read as seconds
    [InlineData(-1)]
    public async Task Import_TimeBefore1971_RejectsTime(long time)
    {
        await using var sut = await CreateSut();

        var rejected = await sut.PostRejectedAsync("/import", SampleRecords.Event(timeMilliseconds: time));

        rejected.Field.Should().Be("properties.time");
        rejected.Message.Should().Contain("1971");
    }

    [Fact]
    public async Task Track_TimeMoreThanAnHourAhead_RejectsTime()
    {
        await using var sut = await CreateSut();
        var ahead = SampleRecords.Now.AddHours(1).AddSeconds(1).ToUnixTimeMilliseconds();

        var rejected = await sut.PostRejectedAsync("/track", SampleRecords.Event(timeMilliseconds: ahead));

        rejected.Field.Should().Be("properties.time");
        rejected.Message.Should().Contain("future");
    }

    [Fact]
    public async Task Track_TimeWithinTheHourAhead_Accepts()
    {
        await using var sut = await CreateSut();
        var ahead = SampleRecords.Now.AddMinutes(59).ToUnixTimeMilliseconds();

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event(timeMilliseconds: ahead)));

        answer.StatusCode.Should().Be(200);
    }

    [Fact]
    public async Task Track_TimeOlderThanFiveDays_RejectsTimeButImportAccepts()
    {
        await using var sut = await CreateSut();
        var old = SampleRecords.Now.AddDays(-5).AddSeconds(-1).ToUnixTimeMilliseconds();

        var rejected = await sut.PostRejectedAsync("/track", SampleRecords.Event(timeMilliseconds: old));
        var imported = await sut.Client.PostAsync("/import", SampleRecords.Batch(SampleRecords.Event(timeMilliseconds: old)));

        rejected.Field.Should().Be("properties.time");
        rejected.Message.Should().Contain("/import");
        imported.StatusCode.Should().Be(200);
    }

    [Fact]
    public async Task Track_TimeOlderThanFiveDaysOnTheServersClock_FollowsTheTimeProvider()
    {
        await using var sut = await CreateSut();
        var recent = SampleRecords.Event(timeMilliseconds: SampleRecords.Now.ToUnixTimeMilliseconds());

        sut.Clock.Advance(TimeSpan.FromDays(5) + TimeSpan.FromMinutes(1));
        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(recent));

        answer.StatusCode.Should().Be(400);
        sut.Server.RejectedRecords.Should().ContainSingle().Which.Field.Should().Be("properties.time");
    }

    [Fact]
    public async Task Track_TimeNotANumber_RejectsTime()
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties()["time"] = "2025-06-01T12:00:00Z";

        var rejected = await sut.PostRejectedAsync("/track", record);

        rejected.Field.Should().Be("properties.time");
    }

    [Fact]
    public async Task Track_254Properties_Accepts()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(WithPropertyCount(254)));

        answer.StatusCode.Should().Be(200);
    }

    [Fact]
    public async Task Track_255Properties_RejectsProperties()
    {
        await using var sut = await CreateSut();

        var rejected = await sut.PostRejectedAsync("/track", WithPropertyCount(255));

        rejected.Field.Should().Be("properties");
        rejected.Message.Should().Contain("255");
    }

    [Fact]
    public async Task Track_NestedThreeLevels_Accepts()
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties()["cart"] = new JsonObject { ["item"] = new JsonObject { ["tags"] = new JsonArray("a", "b") } };

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(record));

        answer.StatusCode.Should().Be(200);
    }

    [Fact]
    public async Task Track_NestedFourLevels_RejectsThatProperty()
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties()["cart"] = new JsonObject
        {
            ["item"] = new JsonObject { ["tags"] = new JsonArray(new JsonObject { ["too"] = "deep" }) },
        };

        var rejected = await sut.PostRejectedAsync("/track", record);

        rejected.Field.Should().Be("properties.cart");
        rejected.Message.Should().Contain("3 levels");
    }

    [Fact]
    public async Task Track_NestedObjectWith255Keys_RejectsThatProperty()
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        var nested = new JsonObject();
        for (var i = 0; i < 255; i++)
        {
            nested["k" + i] = i;
        }

        record.Properties()["settings"] = nested;

        var rejected = await sut.PostRejectedAsync("/track", record);

        rejected.Field.Should().Be("properties.settings");
        rejected.Message.Should().Contain("keys");
    }

    [Fact]
    public async Task Track_ArrayWith255Elements_RejectsThatPropertyButAccepts254()
    {
        await using var sut = await CreateSut();
        var tooMany = SampleRecords.Event();
        tooMany.Properties()["items"] = new JsonArray(Enumerable.Range(0, 255).Select(i => (JsonNode)i).ToArray());
        var enough = SampleRecords.Event();
        enough.Properties()["items"] = new JsonArray(Enumerable.Range(0, 254).Select(i => (JsonNode)i).ToArray());

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(tooMany, enough));

        answer.StatusCode.Should().Be(400);
        var rejected = sut.Server.RejectedRecords.Should().ContainSingle().Subject;
        rejected.Index.Should().Be(0);
        rejected.Field.Should().Be("properties.items");
        sut.Server.Records.Should().ContainSingle();
    }

    [Fact]
    public async Task Track_EventOfOneMegabyte_RejectsRecord()
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties()["blob"] = new string('x', 1_000_000);

        var rejected = await sut.PostRejectedAsync("/track", record);

        rejected.Field.Should().BeEmpty();
        rejected.Message.Should().Contain("1000000");
    }

    [Fact]
    public async Task Track_Merge_RejectsEventBecauseOnlyImportTakesIt()
    {
        await using var sut = await CreateSut(o => o.ProjectToken = null);

        var rejected = await sut.PostRejectedAsync("/track", SampleRecords.Merge("a", "b"));

        rejected.Field.Should().Be("event");
        rejected.Message.Should().Contain("/import");
    }

    [Fact]
    public async Task Import_MergeOfTwoIds_Accepts()
    {
        await using var sut = await CreateSut(o => o.ApiSecret = "secret");

        var answer = await sut.Client.PostWithSecretAsync("/import", SampleRecords.Batch(SampleRecords.Merge("$device:abc", "user-1")), "secret");

        answer.StatusCode.Should().Be(200);
        sut.Server.Records.Should().ContainSingle().Which.EventName.Should().Be("$merge");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Import_MergeWithoutExactlyTwoIds_RejectsDistinctIds(int count)
    {
        await using var sut = await CreateSut();
        var merge = SampleRecords.Merge("a", "b");
        merge.Properties()["$distinct_ids"] = new JsonArray(Enumerable.Range(0, count).Select(i => (JsonNode)("id-" + i)).ToArray());

        var rejected = await sut.PostRejectedAsync("/import", merge);

        rejected.Field.Should().Be("properties.$distinct_ids");
    }

    [Fact]
    public async Task Import_MergeWithAnInvalidId_RejectsDistinctIds()
    {
        await using var sut = await CreateSut();

        var rejected = await sut.PostRejectedAsync("/import", SampleRecords.Merge("user-1", "undefined"));

        rejected.Field.Should().Be("properties.$distinct_ids");
    }

    [Theory]
    [InlineData("time", "properties.time")]
    [InlineData("$insert_id", "properties.$insert_id")]
    [InlineData("distinct_id", "properties.distinct_id")]
    public async Task ImportStrict_RequiredPropertyMissing_RejectsIt(string property, string field)
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties().Remove(property);

        var rejected = await sut.PostRejectedAsync("/import?strict=1", record);

        rejected.Field.Should().Be(field);
    }

    [Theory]
    [InlineData("$insert_id")]
    [InlineData("distinct_id")]
    public async Task ImportNotStrict_DistinctIdOrInsertIdMissing_Accepts(string property)
    {
        // Mixpanel's node library imports events without $insert_id, and distinct_id is the caller's choice.
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties().Remove(property);

        var answer = await sut.Client.PostAsync("/import", SampleRecords.Batch(record));

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Should().ContainSingle();
    }

    [Fact]
    public async Task ImportNotStrict_TimeMissing_RejectsIt()
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties().Remove("time");

        var rejected = await sut.PostRejectedAsync("/import", record);

        rejected.Field.Should().Be("properties.time");
    }

    [Fact]
    public async Task Import_WithoutProjectToken_AcceptsBecauseImportAuthenticatesWithTheSecret()
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties().Remove("token");

        var answer = await sut.Client.PostAsync("/import", SampleRecords.Batch(record));

        answer.StatusCode.Should().Be(200);
    }

    private static Task<RunningServer> CreateSut(Action<LocalMixpanelServerOptions>? configure = null) => RunningServer.StartAsync(configure);

    private static JsonObject WithPropertyCount(int count)
    {
        var record = SampleRecords.Event();
        var properties = record.Properties();
        for (var i = properties.Count; i < count; i++)
        {
            properties["p" + i] = i;
        }

        return record;
    }
}
