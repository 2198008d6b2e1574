using System.Text;
using FluentAssertions;
using Mixpanel.Identity.Delivery;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

public sealed class IngestionClientTests
{
    [Theory]
    [InlineData("1")]
    [InlineData(" 1\n")]
    [InlineData("")]
    [InlineData("{\"error\":null,\"status\":1}")]
    [InlineData("{\"status\": 1, \"error\": null}")]
    [InlineData("{\"error\":\"fine\"}")]
    [InlineData("{\"nested\":{\"status\":0},\"status\":1}")]
    [InlineData("{\"status\":0,\"status\":1}")]
    [InlineData("[0]")]
    [InlineData("2")]
    [InlineData("not json")]
    [InlineData("{\"status\":0} trailing")]
    [InlineData("{\"status\":0")]
    [InlineData("{\"status\":\"0\"}")]
    public void IsAccepted_ABodyThatDoesNotSayZero_IsAnAcceptance(string body) =>
        IngestionClient.IsAccepted(Encoding.UTF8.GetBytes(body)).Should().BeTrue();

    [Theory]
    [InlineData("0")]
    [InlineData("\r\n0 ")]
    [InlineData("{\"status\":0,\"error\":\"invalid token\"}")]
    [InlineData(" { \"error\" : \"x\" , \"status\" : 0 } ")]
    [InlineData("{\"status\":1,\"status\":0}")]
    public void IsAccepted_ABodyThatSaysZero_IsARefusal(string body) =>
        IngestionClient.IsAccepted(Encoding.UTF8.GetBytes(body)).Should().BeFalse();
}
