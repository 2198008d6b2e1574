using System.Net;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.AspNetCore.Cookies;
using Mixpanel.Identity.Testing;
using SameSiteMode = Microsoft.Net.Http.Headers.SameSiteMode;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.Requests;

/// <summary>
/// The anonymous id of a visitor: continued from Mixpanel's browser library, else kept in the server's own cookie; a new
/// one is written into the library's cookie too, so that the page's library adopts it.
/// </summary>
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
        var cookie = browser.SetCookies.Should().ContainSingle(c => c.Name == "mixpanel_device_id").Subject;
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
    public async Task FirstRequest_WithoutCookies_WritesTheBrowserLibrarysCookieAsTheLibraryWouldForANewVisitor()
    {
        await using var site = await WebHarness.StartAsync();
        var browser = site.NewBrowser();

        await browser.GetAsync("/track/Viewed%20Home", request => request.Headers.Referrer = new Uri("https://www.google.com/search?q=shop"));
        await site.FlushAsync();

        var deviceId = browser.Cookies["mixpanel_device_id"];
        var cookie = browser.SetCookies.Should().ContainSingle(c => c.Name == WebHarness.BrowserCookieName).Subject;
        cookie.HttpOnly.Should().BeFalse("the page's library reads it");
        cookie.Path.ToString().Should().Be("/");
        cookie.Domain.HasValue.Should().BeFalse("on 127.0.0.1 the library's cookie is the host's only");
        cookie.MaxAge.Should().Be(TimeSpan.FromDays(365));
        MixpanelCookie.Parse(cookie.Value.ToString()).Should().Be(new BrowserIdentity("$device:" + deviceId, deviceId, UserId: null)
        {
            InitialReferrer = "https://www.google.com/search?q=shop",
            InitialReferringDomain = "www.google.com",
        });
        var viewed = site.Events.Should().ContainSingle().Subject;
        viewed.Properties.GetProperty("$initial_referrer").GetString().Should().Be("https://www.google.com/search?q=shop", "the server's events carry the first touch the library will");
        viewed.Properties.GetProperty("$initial_referring_domain").GetString().Should().Be("www.google.com");
    }

    [Theory]
    [InlineData(true, "www.shop.example.com", ".example.com")]
    [InlineData(true, "shop.example.co.uk", ".example.co.uk")]
    [InlineData(false, "www.shop.example.com", null)]
    public async Task FirstRequest_BrowserLibraryCookie_HasTheDomainTheLibraryGivesItsOwn(bool crossSubdomain, string host, string? domain)
    {
        await using var site = await WebHarness.StartAsync(web: options => options.BrowserCookieCrossSubdomain = crossSubdomain);
        var browser = site.NewBrowser();

        await browser.GetAsync("/track/Viewed%20Home", request => request.Headers.Host = host);

        var cookie = browser.SetCookies.Should().ContainSingle(c => c.Name == WebHarness.BrowserCookieName).Subject;
        (cookie.Domain.HasValue ? cookie.Domain.ToString() : null).Should().Be(domain);
    }

    [Fact]
    public async Task BrowserLibraryCookie_WithFirstTouch_ItReachesTheServersEvents()
    {
        await using var site = await WebHarness.StartAsync();
        var browser = site.NewBrowser();
        browser.SetBrowserLibraryCookie($$"""{"distinct_id":"$device:{{BrowserDeviceId}}","$device_id":"{{BrowserDeviceId}}","$initial_referrer":"https://news.example/post","$initial_referring_domain":"news.example"}""");

        await browser.GetAsync("/track/Viewed%20Pricing", request => request.Headers.Referrer = new Uri("http://127.0.0.1/elsewhere"));
        await site.FlushAsync();

        var viewed = site.Events.Should().ContainSingle().Subject;
        viewed.Properties.GetProperty("$initial_referrer").GetString().Should().Be("https://news.example/post");
        viewed.Properties.GetProperty("$initial_referring_domain").GetString().Should().Be("news.example");
        viewed.Properties.GetProperty("$referrer").GetString().Should().Be("http://127.0.0.1/elsewhere", "the latest touch is the request's own");
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

        browser.SetCookies.Should().ContainSingle(c => c.Name == "mixpanel_device_id").Which.Secure.Should().BeTrue("only the site's own machine is served without TLS");
    }

    [Fact]
    public async Task BrowserLibraryCookie_Anonymous_IsContinuedAndRememberedInTheServersCookie()
    {
        await using var site = await WebHarness.StartAsync();
        var browser = site.NewBrowser();
        browser.SetBrowserLibraryCookie($$"""{"distinct_id":"$device:{{BrowserDeviceId}}","$device_id":"{{BrowserDeviceId}}","$initial_referrer":"$direct","$initial_referring_domain":"$direct","__mps":{},"__mpso":{},"__mpus":{},"__mpa":{},"__mpu":{},"__mpr":[],"__mpap":[]}""");

        await browser.GetAsync("/track/Viewed%20Pricing");
        await site.FlushAsync();

        browser.SetCookies.Should().ContainSingle().Which.Name.ToString().Should().Be("mixpanel_device_id", "the library's cookie is left as it is");
        browser.Cookies["mixpanel_device_id"].Should().Be(BrowserDeviceId, "the server remembers the id it tracked the browser under");
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
    public async Task Reset_WithThePagesLibraryIdentified_WritesTheLibraryANewAnonymousVisitorAndNeverContinuesTheOldId(IdMergeApi api)
    {
        await using var site = await WebHarness.StartAsync(mixpanel: options => options.IdMerge = api);
        var browser = site.NewBrowser();
        browser.SetBrowserLibraryCookie($$"""{"distinct_id":"$device:{{BrowserDeviceId}}","$device_id":"{{BrowserDeviceId}}"}""");
        await browser.PostAsync("/signup/user-42");
        var identified = $$"""{"distinct_id":"user-42","$device_id":"{{BrowserDeviceId}}","$user_id":"user-42"}""";
        browser.SetBrowserLibraryCookie(identified);

        await browser.PostAsync("/logout");
        var written = MixpanelCookie.Parse(browser.Cookies[WebHarness.BrowserCookieName])!;
        await browser.GetAsync("/track/Viewed%20Home");

        // A page that writes its old state back over the server's: the retired id is still not continued.
        browser.SetBrowserLibraryCookie($$"""{"distinct_id":"$device:{{BrowserDeviceId}}","$device_id":"{{BrowserDeviceId}}"}""");
        await browser.GetAsync("/track/Viewed%20Help");
        await site.FlushAsync();

        written.UserId.Should().BeNull("the library starts the next page as a new anonymous visitor");
        written.DeviceId.Should().NotBe(BrowserDeviceId).And.Be(browser.Cookies["mixpanel_device_id"], "the server and the library end on one new id");
        browser.Cookies["mixpanel_device_id_retired"].Should().Be(BrowserDeviceId);
        var events = site.Events.ToDictionary(e => e.EventName!);
        events["Logged Out"].Should().Match<ReceivedRecord>(e => e.DeviceId == BrowserDeviceId && e.UserId == "user-42");
        events["Left"].DeviceId.Should().Be(written.DeviceId);
        events["Viewed Home"].DeviceId.Should().Be(written.DeviceId);
        events["Viewed Help"].DeviceId.Should().Be(written.DeviceId, "the id the logout retired is never continued");
        var resolution = site.Mixpanel.Resolve(api);
        resolution.Findings.Should().BeEmpty(resolution.ToMarkdown());
        var user = resolution.ResolveDistinctId("user-42");
        foreach (var anonymous in new[] { "Left", "Viewed Home", "Viewed Help" })
        {
            resolution.ResolvedDistinctIdOf(events[anonymous].InsertId!).Should().NotBe(user, anonymous);
        }
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public async Task Logout_AfterThePageResetItsLibraryInTheClickHandler_TheUserKeepsTheirIdAndTheServerContinuesTheLibrarysNewOne(IdMergeApi api)
    {
        await using var site = await WebHarness.StartAsync(mixpanel: options => options.IdMerge = api);
        var browser = site.NewBrowser();
        await browser.GetAsync("/track/Landed");
        var first = browser.Cookies["mixpanel_device_id"];
        await browser.PostAsync("/signup/user-42");
        var fresh = Guid.NewGuid().ToString();

        // The logout button's handler calls the library's reset() before the form posts.
        browser.SetBrowserLibraryCookie($$"""{"distinct_id":"$device:{{fresh}}","$device_id":"{{fresh}}"}""");
        await browser.PostAsync("/logout");
        await browser.GetAsync("/track/Viewed%20Home");
        await site.FlushAsync();

        var events = site.Events.ToDictionary(e => e.EventName!);
        events["Logged Out"].Should().Match<ReceivedRecord>(e => e.DeviceId == first && e.UserId == "user-42", "the library's new id is not the user's");
        events["Left"].DeviceId.Should().Be(fresh, "the server's Reset goes on with the library's new id");
        events["Viewed Home"].DeviceId.Should().Be(fresh);
        browser.Cookies["mixpanel_device_id"].Should().Be(fresh);
        var resolution = site.Mixpanel.Resolve(api);
        resolution.Findings.Should().BeEmpty(resolution.ToMarkdown());
        resolution.ResolvedDistinctIdOf(events["Viewed Home"].InsertId!).Should().NotBe(resolution.ResolveDistinctId("user-42"));
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

        browser.SetCookies.Should().ContainSingle(c => c.Name == "mixpanel_device_id").Which.Secure.Should().BeTrue();
        browser.SetCookies.Should().ContainSingle(c => c.Name == WebHarness.BrowserCookieName).Which.Secure.Should().BeTrue();
    }
}
