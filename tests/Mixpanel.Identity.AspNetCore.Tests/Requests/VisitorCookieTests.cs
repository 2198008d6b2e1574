using System.Net;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.Testing;
using SameSiteMode = Microsoft.Net.Http.Headers.SameSiteMode;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.Requests;

/// <summary>The anonymous id of a visitor: continued from Mixpanel's browser library, else kept in the server's own cookie.</summary>
public sealed class VisitorCookieTests
{
    private const string BrowserDeviceId = "0b9c5e1e-6f0e-4b6a-9f8e-3c2d1a0b9c8d";

    [Fact]
    public async Task FirstRequest_WithoutCookies_SetsAnHttpOnlyLaxCookieForAYearAndTracksUnderIt()
    {
        await using var site = await WebHarness.StartAsync();
        var browser = site.NewBrowser();

        var response = await browser.GetAsync("/track/Viewed%20Home");
        await site.FlushAsync();

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var cookie = browser.SetCookies.Should().ContainSingle().Subject;
        cookie.Name.ToString().Should().Be("mixpanel_device_id");
        cookie.HttpOnly.Should().BeTrue();
        cookie.SameSite.Should().Be(SameSiteMode.Lax);
        cookie.Path.ToString().Should().Be("/");
        cookie.Secure.Should().BeFalse("the site is served over plain HTTP on this machine, as in development");
        cookie.MaxAge.Should().Be(TimeSpan.FromDays(365));
        cookie.Expires.Should().Be(site.Time.GetUtcNow() + TimeSpan.FromDays(365));
        Guid.TryParse(cookie.Value.ToString(), out _).Should().BeTrue("a new anonymous id is a UUID");

        var viewed = site.Events.Should().ContainSingle().Subject;
        viewed.DeviceId.Should().Be(cookie.Value.ToString());
        viewed.DistinctId.Should().Be("$device:" + cookie.Value);
        viewed.UserId.Should().BeNull();
    }

    [Fact]
    public async Task LaterRequests_WithTheCookie_KeepTheAnonymousIdAndSetNoCookie()
    {
        await using var site = await WebHarness.StartAsync();
        var browser = site.NewBrowser();
        await browser.GetAsync("/track/Viewed%20Home");
        var deviceId = browser.Cookies["mixpanel_device_id"];

        await browser.GetAsync("/track/Viewed%20Pricing");
        await site.FlushAsync();

        browser.SetCookies.Should().BeEmpty();
        site.Events.Select(e => e.DeviceId).Should().Equal(deviceId, deviceId);
    }

    [Fact]
    public async Task Cookie_ForASiteOnAPublicHost_IsSecure()
    {
        await using var site = await WebHarness.StartAsync();
        var browser = site.NewBrowser();

        await browser.GetAsync("/track/Viewed%20Home", request => request.Headers.Host = "shop.example");

        browser.SetCookies.Should().ContainSingle().Which.Secure.Should().BeTrue("only the site's own machine is served without TLS");
    }

    [Fact]
    public async Task BrowserLibraryCookie_Anonymous_IsContinuedAndNoCookieOfOurOwnIsMade()
    {
        await using var site = await WebHarness.StartAsync();
        var browser = site.NewBrowser();
        browser.SetBrowserLibraryCookie($$"""{"distinct_id":"$device:{{BrowserDeviceId}}","$device_id":"{{BrowserDeviceId}}","$initial_referrer":"$direct","$initial_referring_domain":"$direct","__mps":{},"__mpso":{},"__mpus":{},"__mpa":{},"__mpu":{},"__mpr":[],"__mpap":[]}""");

        await browser.GetAsync("/track/Viewed%20Pricing");
        await site.FlushAsync();

        browser.SetCookies.Should().BeEmpty();
        var viewed = site.Events.Should().ContainSingle().Subject;
        viewed.DeviceId.Should().Be(BrowserDeviceId, "server events continue the browser's own anonymous id");
        viewed.DistinctId.Should().Be("$device:" + BrowserDeviceId, "the distinct id the browser's events carry too");
    }

    [Fact]
    public async Task BrowserLibraryCookie_IdentifiedWhileNoOneIsSignedIn_IsNotContinuedAndItsUserIsNotTaken()
    {
        await using var site = await WebHarness.StartAsync();
        var browser = site.NewBrowser();
        browser.SetBrowserLibraryCookie($$"""{"distinct_id":"mallory","$device_id":"{{BrowserDeviceId}}","$user_id":"mallory"}""");

        await browser.GetAsync("/track/Viewed%20Pricing");
        await site.FlushAsync();

        var viewed = site.Events.Should().ContainSingle().Subject;
        viewed.UserId.Should().BeNull("the browser's cookie is the browser's word, not a sign-in");
        viewed.DeviceId.Should().NotBe(BrowserDeviceId, "that device is linked to the person the cookie names");
        viewed.DeviceId.Should().Be(browser.Cookies["mixpanel_device_id"]);
    }

    [Fact]
    public async Task BrowserLibraryCookie_IdentifiedAsTheSignedInUser_IsContinued()
    {
        await using var site = await WebHarness.StartAsync();
        var browser = site.NewBrowser();
        await browser.PostAsync("/signup/user-42");
        browser.SetBrowserLibraryCookie($$"""{"distinct_id":"user-42","$device_id":"{{BrowserDeviceId}}","$user_id":"user-42"}""");

        await browser.PostAsync("/purchase");
        await site.FlushAsync();

        var purchased = site.Events.Single(e => e.EventName == "Purchased");
        purchased.UserId.Should().Be("user-42");
        purchased.DeviceId.Should().Be(BrowserDeviceId);
    }

    [Fact]
    public async Task BrowserLibraryCookie_WithAPlaceholderDeviceId_IsNotContinued()
    {
        await using var site = await WebHarness.StartAsync();
        var browser = site.NewBrowser();
        browser.SetBrowserLibraryCookie("""{"distinct_id":"$device:undefined","$device_id":"undefined"}""");

        await browser.GetAsync("/track/Viewed%20Pricing");
        await site.FlushAsync();

        site.Events.Should().ContainSingle().Which.DeviceId.Should().Be(browser.Cookies["mixpanel_device_id"]);
    }

    [Fact]
    public async Task Reset_AtLogout_RotatesTheCookieAndTheRestOfTheRequestUsesTheNewId()
    {
        await using var site = await WebHarness.StartAsync();
        var browser = site.NewBrowser();
        await browser.PostAsync("/signup/user-42");
        var before = browser.Cookies["mixpanel_device_id"];

        await browser.PostAsync("/logout");
        var after = browser.Cookies["mixpanel_device_id"];
        await browser.GetAsync("/track/Viewed%20Home");
        await site.FlushAsync();

        after.Should().NotBe(before);
        browser.Cookies.Should().NotContainKey(".AspNetCore.Cookies", "the user signed out");
        var events = site.Events.ToDictionary(e => e.EventName!);
        events["Logged Out"].Should().Match<ReceivedRecord>(e => e.DeviceId == before && e.UserId == "user-42");
        events["Left"].Should().Match<ReceivedRecord>(e => e.DeviceId == after && e.UserId == null);
        events["Viewed Home"].Should().Match<ReceivedRecord>(e => e.DeviceId == after && e.UserId == null);
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public async Task Reset_WhileThePagesLibraryStillHoldsTheOldId_TheNextRequestIsNotTakenForTheUserWhoLeft(IdMergeApi api)
    {
        await using var site = await WebHarness.StartAsync(mixpanel: options => options.IdMerge = api);
        var browser = site.NewBrowser();
        browser.SetBrowserLibraryCookie($$"""{"distinct_id":"$device:{{BrowserDeviceId}}","$device_id":"{{BrowserDeviceId}}"}""");
        await browser.PostAsync("/signup/user-42");

        // The page never resets its library: its cookie keeps the first person's id through both logouts.
        await browser.PostAsync("/logout");
        await browser.GetAsync("/track/Viewed%20Home");
        await browser.PostAsync("/signup/user-43");
        await browser.PostAsync("/logout");
        await browser.GetAsync("/track/Viewed%20Help");
        var fresh = Guid.NewGuid().ToString();
        browser.SetBrowserLibraryCookie($$"""{"distinct_id":"$device:{{fresh}}","$device_id":"{{fresh}}"}""");
        await browser.GetAsync("/track/Viewed%20Pricing");
        await site.FlushAsync();

        browser.Cookies["mixpanel_device_id_retired"].Should().Be(BrowserDeviceId);
        var events = site.Events.Where(e => e.EventName != "$identify").ToLookup(e => e.EventName!);
        events["Signed Up"].First().DeviceId.Should().Be(BrowserDeviceId, "the server continues the browser library's id");
        events["Viewed Home"].Single().DeviceId.Should().NotBe(BrowserDeviceId, "the library's cookie still holds the id the logout retired");
        events["Viewed Help"].Single().DeviceId.Should().Be(browser.Cookies["mixpanel_device_id"]).And.NotBe(BrowserDeviceId, "a second logout retires it still");
        events["Viewed Pricing"].Single().DeviceId.Should().Be(fresh, "once the page's library has reset too, its new id is continued");
        var resolution = site.Mixpanel.Resolve(api);
        var first = resolution.ResolveDistinctId("user-42");
        var second = resolution.ResolveDistinctId("user-43");
        resolution.ResolvedDistinctIdOf(events["Signed Up"].First().InsertId!).Should().Be(first);
        resolution.ResolvedDistinctIdOf(events["Signed Up"].Last().InsertId!).Should().Be(second);
        resolution.ResolvedDistinctIdOf(events["Viewed Home"].Single().InsertId!).Should().Be(second, "the next person signed up from that anonymous visit");
        foreach (var anonymous in new[] { "Viewed Help", "Viewed Pricing" })
        {
            resolution.ResolvedDistinctIdOf(events[anonymous].Single().InsertId!).Should().NotBe(first).And.NotBe(second, anonymous);
        }
    }

    [Fact]
    public async Task Reset_AfterTheResponseStarted_IsLoggedAndTheRequestStillSucceeds()
    {
        await using var site = await WebHarness.StartAsync(endpoints: app => app.MapGet("/late-reset", async (HttpContext context, IMixpanelRequestTracker mixpanel) =>
        {
            await context.Response.WriteAsync("streaming");
            await context.Response.Body.FlushAsync();
            mixpanel.Reset();
        }));
        var browser = site.NewBrowser();

        var response = await browser.GetAsync("/late-reset");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("streaming");
        site.Logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 5003);
    }

    [Fact]
    public async Task Cookie_BehindAKnownProxyForwardingHttps_IsSecure()
    {
        await using var site = await WebHarness.StartAsync(beforeMixpanel: WebHarness.BehindAProxyAt127001(ForwardedHeaders.XForwardedProto));
        var browser = site.NewBrowser();

        await browser.GetAsync("/track/Viewed%20Home", request => request.Headers.Add("X-Forwarded-Proto", "https"));

        browser.SetCookies.Should().ContainSingle().Which.Secure.Should().BeTrue();
    }
}
