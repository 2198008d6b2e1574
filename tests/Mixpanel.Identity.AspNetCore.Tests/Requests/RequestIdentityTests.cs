using System.Security.Claims;
using FluentAssertions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.Requests;

/// <summary>Who a request's events are about: the signed-in user from their claim, linked to the anonymous id in both ID-merge systems.</summary>
public sealed class RequestIdentityTests
{
    [Fact]
    public async Task SignedInRequest_CarriesTheUserIdOfTheConfiguredClaim()
    {
        await using var site = await WebHarness.StartAsync(
            web: options => options.UserIdClaimType = "sub",
            endpoints: app => app.MapPost("/sso", async (HttpContext context) =>
            {
                var user = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "ann@example.com"), new Claim("sub", "user-7")], CookieAuthenticationDefaults.AuthenticationScheme);
                await context.SignInAsync(new ClaimsPrincipal(user));
            }));
        var browser = site.NewBrowser();
        await browser.PostAsync("/sso");

        await browser.PostAsync("/purchase");
        await site.FlushAsync();

        var purchased = site.Events.Should().ContainSingle().Subject;
        purchased.UserId.Should().Be("user-7");
        purchased.DistinctId.Should().Be("user-7");
        purchased.DeviceId.Should().Be(browser.Cookies["mixpanel_device_id"]);
    }

    [Fact]
    public async Task SignedInRequest_WithAClaimMixpanelWouldRefuse_IsTrackedAnonymouslyAndLogged()
    {
        await using var site = await WebHarness.StartAsync(endpoints: app => app.MapPost("/sign-in-as-zero", async (HttpContext context) =>
            await context.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "0")], CookieAuthenticationDefaults.AuthenticationScheme)))));
        var browser = site.NewBrowser();
        await browser.PostAsync("/sign-in-as-zero");

        await browser.GetAsync("/track/Viewed%20Home");
        await site.FlushAsync();

        site.Events.Should().ContainSingle().Which.UserId.Should().BeNull("0 is a placeholder Mixpanel refuses as an id");
        site.Logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 5002);
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public async Task Identify_AtSignUp_LinksTheAnonymousIdAsTheIdMergeSystemDoesAndKeepsTheCookie(IdMergeApi api)
    {
        await using var site = await WebHarness.StartAsync(mixpanel: options => options.IdMerge = api);
        var browser = site.NewBrowser();
        await browser.GetAsync("/track/Viewed%20Pricing");
        var deviceId = browser.Cookies["mixpanel_device_id"];

        await browser.PostAsync("/signup/user-42");
        await site.FlushAsync();

        browser.SetCookies.Where(c => c.Name == "mixpanel_device_id").Should().BeEmpty("signing in keeps the anonymous id");
        var identifies = site.Mixpanel.DeduplicatedRecords.Where(r => r.EventName == "$identify").ToList();
        if (api == IdMergeApi.Original)
        {
            var link = identifies.Should().ContainSingle().Subject;
            link.DistinctId.Should().Be("user-42");
            link.Properties.GetProperty("$anon_distinct_id").GetString().Should().Be("$device:" + deviceId);
        }
        else
        {
            identifies.Should().BeEmpty("Simplified ID Merge links on $device_id and $user_id");
        }

        var signedUp = site.Events.Single(e => e.EventName == "Signed Up");
        signedUp.DeviceId.Should().Be(deviceId);
        signedUp.UserId.Should().Be("user-42");
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public async Task Journey_AnonymousThenSignedUpThenSignedIn_ResolvesToOneUser(IdMergeApi api)
    {
        await using var site = await WebHarness.StartAsync(mixpanel: options => options.IdMerge = api);
        var browser = site.NewBrowser();

        await browser.GetAsync("/track/Viewed%20Home");
        await browser.GetAsync("/track/Viewed%20Pricing");
        await browser.PostAsync("/signup/user-42");
        await browser.PostAsync("/purchase");
        await browser.PostAsync("/logout");
        await site.FlushAsync();

        var resolution = site.Mixpanel.Resolve(api);
        resolution.Findings.Should().BeEmpty(resolution.ToMarkdown());
        var user = resolution.ResolveDistinctId("user-42");
        site.Events.Where(e => e.EventName != "Left").Select(e => resolution.ResolvedDistinctIdOf(e.InsertId!))
            .Should().HaveCount(5).And.OnlyContain(id => id == user, resolution.ToMarkdown());
        resolution.ResolvedDistinctIdOf(site.Events.Single(e => e.EventName == "Left").InsertId!)
            .Should().NotBe(user, "after logout the browser is a new anonymous visitor");
        site.Events.Single(e => e.EventName == "Purchased").UserId.Should().Be("user-42", "later requests take the user from the sign-in");
    }

    [Fact]
    public async Task SecondPersonAfterLogout_IsASecondUser()
    {
        await using var site = await WebHarness.StartAsync();
        var browser = site.NewBrowser();
        await browser.PostAsync("/signup/user-1");
        await browser.PostAsync("/logout");

        await browser.GetAsync("/track/Viewed%20Home");
        await browser.PostAsync("/signup/user-2");
        await site.FlushAsync();

        var resolution = site.Mixpanel.Resolve(IdMergeApi.Original);
        resolution.Findings.Should().BeEmpty(resolution.ToMarkdown());
        resolution.ResolveDistinctId("user-1").Should().NotBe(resolution.ResolveDistinctId("user-2"));
        resolution.ResolvedDistinctIdOf(site.Events.Single(e => e.EventName == "Viewed Home").InsertId!).Should().Be("user-2");
    }

    [Fact]
    public async Task People_ForTheSignedInUser_UpdatesTheirProfileFromTheClientsAddress()
    {
        await using var site = await WebHarness.StartAsync();
        var browser = site.NewBrowser();
        await browser.PostAsync("/signup/user-42");

        await browser.PostAsync("/purchase");
        await site.FlushAsync();

        var update = site.Mixpanel.Records.Should().ContainSingle(r => r.Endpoint == MixpanelEndpoint.Engage).Subject;
        update.DistinctId.Should().Be("user-42");
        update.Json.GetProperty("$ip").GetString().Should().Be("127.0.0.1");
        update.Json.GetProperty("$set").GetProperty("plan").GetString().Should().Be("pro");
    }

    [Fact]
    public async Task People_ForAnAnonymousVisitor_IsDroppedAndCounted()
    {
        await using var site = await WebHarness.StartAsync();
        var browser = site.NewBrowser();

        await browser.PostAsync("/purchase");
        await site.FlushAsync();

        site.Mixpanel.Records.Should().NotContain(r => r.Endpoint == MixpanelEndpoint.Engage);
        site.Client.Diagnostics.GetDropped(DropReason.NotIdentified).Should().Be(1);
    }
}
