using System.Text;
using FluentAssertions;
using Mixpanel.Identity.Protocol;
using Xunit;

namespace Mixpanel.Identity.Tests.Protocol;

/// <summary>The rules for Mixpanel's answers, as a table: only Mixpanel's success answers deliver, nothing unknown drops.</summary>
public sealed class RepliesTests
{
    [Theory]
    [InlineData(200, "1")]
    [InlineData(200, " 1\n")]
    [InlineData(200, "{\"status\":1,\"error\":null}")]
    [InlineData(200, "{\"error\":null,\"status\":1}")]
    [InlineData(204, "{\"status\": 1}")]
    public void Classify_MixpanelsSuccessAnswers_Deliver(int status, string body) =>
        Classify(status, body).Action.Should().Be(ReplyAction.Delivered);

    [Theory]
    [InlineData(200, "")]
    [InlineData(200, "<html><body>Sign in to the hotel Wi-Fi</body></html>")]
    [InlineData(200, "{\"ok\":true}")]
    [InlineData(200, "{\"status\":1")]
    [InlineData(200, "[1]")]
    [InlineData(300, "")]
    [InlineData(301, "moved")]
    [InlineData(302, "<html>login</html>")]
    [InlineData(307, "")]
    [InlineData(407, "Proxy Authentication Required")]
    [InlineData(409, "{\"error\":\"conflict\",\"status\":0}")]
    [InlineData(410, "")]
    [InlineData(400, "<html>Bad Request</html>")]
    [InlineData(400, "")]
    public void Classify_AnswersThatAreNotMixpanels_KeepTheRecordsAndRetry(int status, string body) =>
        Classify(status, body).Action.Should().Be(ReplyAction.Retry);

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public void Classify_TransientFailures_Retry(int status) =>
        Classify(status, "{\"error\":\"busy\",\"status\":0}").Action.Should().Be(ReplyAction.Retry);

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(405)]
    public void Classify_AWrongConfiguration_Halts(int status) =>
        Classify(status, "{\"error\":\"token\",\"status\":0}").Action.Should().Be(ReplyAction.Halt);

    [Theory]
    [InlineData("0")]
    [InlineData("{\"status\":0,\"error\":\"token, missing or empty\"}")]
    [InlineData("{\"error\":\"project not found\"}")]
    public void Classify_A2xxRefusalNamingNoRecord_HaltsAndKeeps(string body) =>
        Classify(200, body).Action.Should().Be(ReplyAction.Halt);

    [Fact]
    public void Classify_ARefusalNamingRecords_DropsOnlyThoseItNamesWithinTheRequest()
    {
        var reply = Classify(
            400,
            "{\"code\":400,\"error\":\"some data points in the request failed validation\",\"failed_records\":" +
            "[{\"index\":1,\"$insert_id\":\"a\",\"field\":\"properties.time\",\"message\":\"'properties.time' is invalid\"}," +
            "{\"index\":7,\"field\":\"x\"},{\"index\":1},{\"index\":-2},{\"index\":\"3\"}],\"num_records_imported\":2,\"status\":0}",
            records: 5);

        reply.Action.Should().Be(ReplyAction.DropNamed);
        reply.FailedIndexes.Should().Equal(1);
        reply.Imported.Should().Be(2);
    }

    [Fact]
    public void Classify_A2xxStatus0NamingRecords_DropsThem()
    {
        var reply = Classify(200, "{\"status\":0,\"failed_records\":[{\"index\":0}]}", records: 2);

        reply.Action.Should().Be(ReplyAction.DropNamed);
        reply.FailedIndexes.Should().Equal(0);
    }

    [Theory]
    [InlineData("{\"error\":\"some data points in the request failed validation\",\"status\":0}")]
    [InlineData("{\"error\":\"bad\",\"failed_records\":[{\"index\":9}],\"status\":0}")]
    public void Classify_A400NamingNoRecordOfTheRequest_Splits(string body)
    {
        var reply = Classify(400, body, records: 3);

        reply.Action.Should().Be(ReplyAction.Split);
        reply.TooLarge.Should().BeFalse();
    }

    [Fact]
    public void Classify_413_SplitsAsTooLarge()
    {
        var reply = Classify(413, "request entity too large");

        reply.Action.Should().Be(ReplyAction.Split);
        reply.TooLarge.Should().BeTrue();
    }

    [Theory]
    [InlineData(200, "{\"status\":0,\"error\":\"secret-value-42\"}")]
    [InlineData(400, "{\"error\":\"secret-value-42\",\"failed_records\":[{\"index\":0,\"message\":\"secret-value-42\"}]}")]
    [InlineData(500, "secret-value-42")]
    public void Classify_NeverCarriesTheServersText(int status, string body) =>
        Classify(status, body).Why.Should().NotContain("secret-value-42");

    private static Reply Classify(int status, string body, int records = 10) =>
        Replies.Classify(status, Encoding.UTF8.GetBytes(body), records);
}
