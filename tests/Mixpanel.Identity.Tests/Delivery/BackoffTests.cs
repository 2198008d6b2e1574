using System.Net;
using FluentAssertions;
using Mixpanel.Identity.Delivery;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(0, 0.0, 3.0)]
    [InlineData(0, 0.999999, 7.0)]
    [InlineData(1, 0.5, 7.0)]
    [InlineData(2, 0.0, 9.0)]
    [InlineData(4, 0.0, 33.0)]
    [InlineData(5, 0.0, 61.0)]
    [InlineData(60, 1.0, 65.0)]
    public void Next_WithoutRetryAfter_DoublesFromTwoSecondsToSixtyPlusOneToFiveSecondsOfJitter(int attempt, double random, double expectedSeconds)
    {
        Backoff.Next(attempt, null, random).TotalSeconds.Should().BeApproximately(expectedSeconds, 0.001);
    }

    [Theory]
    [InlineData(30, 30)]
    [InlineData(0, 1)]
    [InlineData(3600, 600)]
    public void Next_WithRetryAfter_HonoursItWithinOneSecondAndTenMinutes(int retryAfterSeconds, int expectedSeconds)
    {
        Backoff.Next(3, TimeSpan.FromSeconds(retryAfterSeconds), 0.7).Should().Be(TimeSpan.FromSeconds(expectedSeconds));
    }

    [Fact]
    public void ReadRetryAfter_ReadsSecondsAndHttpDates()
    {
        var now = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
        using var seconds = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        seconds.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(42));
        using var date = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        date.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(now.AddSeconds(90));
        using var none = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);

        Backoff.ReadRetryAfter(seconds, now).Should().Be(TimeSpan.FromSeconds(42));
        Backoff.ReadRetryAfter(date, now).Should().Be(TimeSpan.FromSeconds(90));
        Backoff.ReadRetryAfter(none, now).Should().BeNull();
    }
}
