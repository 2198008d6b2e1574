using System.Net;
using System.Security.Claims;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.Requests;

/// <summary>Wrong calls from the app throw at the call; nothing of Mixpanel's fails the app's request.</summary>
public sealed class RobustnessTests
{
    private static void MapBadCalls(WebApplication app) =>
        app.MapGet("/bad/{call}", (string call, IMixpanelRequestTracker mixpanel) =>
        {
            Action act = call switch
            {
                "empty-name" => () => mixpanel.Track(" "),
                "bad-property" => () => mixpanel.Track("Viewed", new Dictionary<string, object?> { ["x"] = new object() }),
                "placeholder-user" => () => mixpanel.Identify("undefined"),
                "bad-group" => () => mixpanel.GetGroup("", "acme"),
                _ => throw new ArgumentOutOfRangeException(nameof(call)),
            };
            try
            {
                act();
                return "no exception";
            }
            catch (ArgumentException exception)
            {
                return exception.ParamName ?? "no parameter name";
            }
        });

    [Theory]
    [InlineData("empty-name", "eventName", null)]
    [InlineData("bad-property", "properties", null)]
    [InlineData("placeholder-user", "userId", null)]
    [InlineData("bad-group", "groupKey", null)]
    [InlineData("empty-name", "eventName", TestBrowser.Googlebot)]
    [InlineData("bad-property", "properties", TestBrowser.Googlebot)]
    public async Task BadInput_ThrowsArgumentExceptionNamingTheParameter_ForPeopleAndCrawlersAlike(string call, string parameter, string? userAgent)
    {
        await using var site = await WebHarness.StartAsync(endpoints: MapBadCalls);

        var response = await site.NewBrowser(userAgent ?? TestBrowser.ChromeOnMac).GetAsync("/bad/" + call);

        (await response.Content.ReadAsStringAsync()).Should().Be(parameter);
    }

    [Fact]
    public async Task ReadingTheVisitorFails_TheRequestSucceedsAndIsTrackedUnderAnIdOfItsOwn()
    {
        await using var site = await WebHarness.StartAsync(beforeMixpanel: app => app.Use((context, next) =>
        {
            context.User = new ThrowingPrincipal();
            return next(context);
        }));
        var browser = site.NewBrowser();

        var response = await browser.GetAsync("/track/Viewed");
        await site.FlushAsync();

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        site.Logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 5004).Which.Exception.Should().BeOfType<InvalidOperationException>();
        site.Events.Should().ContainSingle().Which.UserId.Should().BeNull();
        browser.SetCookies.Should().BeEmpty("a visitor who could not be read keeps whatever cookie they have");
    }

    [Fact]
    public async Task Tracker_InARequestThatSkippedTheMiddleware_ThrowsInvalidOperationException()
    {
        await using var site = await WebHarness.StartAsync();
        using var scope = site.App.Services.CreateScope();
        var tracker = scope.ServiceProvider.GetRequiredService<IMixpanelRequestTracker>();

        tracker.Invoking(t => t.Track("Viewed")).Should().Throw<InvalidOperationException>().WithMessage("*UseMixpanel*");
    }

    [Fact]
    public void UseMixpanel_WithoutAddMixpanelServer_ThrowsInvalidOperationException()
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        app.Invoking(a => a.UseMixpanel()).Should().Throw<InvalidOperationException>().WithMessage("*AddMixpanelServer*");
    }

    /// <summary>An app's principal whose claims cannot be read.</summary>
    private sealed class ThrowingPrincipal() : ClaimsPrincipal(new ClaimsIdentity("Test"))
    {
        public override Claim? FindFirst(string type) => throw new InvalidOperationException("The claims store is down.");
    }
}
