using FluentAssertions;
using Microsoft.AspNetCore.HttpOverrides;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.Requests;

/// <summary>What a request tells about its visitor: their address, browser, OS, device, page, referrer and campaign.</summary>
public sealed class RequestPropertiesTests
{
    private const string IPhone =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

    [Fact]
    public async Task Event_CarriesTheVisitorsBrowserOsAndDeviceAndNoneOfTheServers()
    {
        await using var site = await WebHarness.StartAsync();

        await site.NewBrowser(IPhone).GetAsync("/track/On%20Phone");
        await site.NewBrowser("SomeKiosk/1.0").GetAsync("/track/On%20Kiosk");
        await site.FlushAsync();

        var phone = site.Events.Single(e => e.EventName == "On Phone").Properties;
        phone.GetProperty("$browser").GetString().Should().Be("Mobile Safari");
        phone.GetProperty("$browser_version").GetDouble().Should().Be(17.5);
        phone.GetProperty("$os").GetString().Should().Be("iOS", "the visitor's OS, not the server's");
        phone.GetProperty("$device").GetString().Should().Be("iPhone");
        var kiosk = site.Events.Single(e => e.EventName == "On Kiosk").Properties;
        kiosk.TryGetProperty("$os", out _).Should().BeFalse("a user agent that names no OS leaves $os out rather than say the server's");
        foreach (var record in site.Events)
        {
            record.Properties.TryGetProperty("$os_version", out _).Should().BeFalse();
            record.Properties.TryGetProperty("$model", out _).Should().BeFalse();
        }
    }

    [Fact]
    public async Task Event_CarriesThePageReferrerAndCampaignOfTheRequest()
    {
        await using var site = await WebHarness.StartAsync();

        await site.NewBrowser().GetAsync("/track/Landed?utm_source=newsletter&utm_campaign=spring%20sale&gclid=abc", request =>
            request.Headers.Referrer = new Uri("https://www.google.com/search?q=shop"));
        await site.FlushAsync();

        var landed = site.Events.Should().ContainSingle().Subject.Properties;
        landed.GetProperty("$current_url").GetString().Should().Be(site.BaseAddress + "track/Landed?utm_source=newsletter&utm_campaign=spring%20sale&gclid=abc");
        landed.GetProperty("$referrer").GetString().Should().Be("https://www.google.com/search?q=shop");
        landed.GetProperty("$referring_domain").GetString().Should().Be("www.google.com");
        landed.GetProperty("utm_source").GetString().Should().Be("newsletter");
        landed.GetProperty("utm_campaign").GetString().Should().Be("spring sale");
        landed.GetProperty("gclid").GetString().Should().Be("abc");
    }

    [Fact]
    public async Task Event_CarriesTheClientsAddressAndIgnoresAForwardedForHeaderTheAppDoesNotTrust()
    {
        await using var site = await WebHarness.StartAsync();

        await site.NewBrowser().GetAsync("/track/Viewed", request => request.Headers.Add("X-Forwarded-For", "203.0.113.7"));
        await site.FlushAsync();

        site.Events.Should().ContainSingle().Which.GeolocationIp.Should().Be("127.0.0.1", "any client can write X-Forwarded-For");
    }

    [Fact]
    public async Task EventAndProfile_BehindAKnownProxy_CarryTheForwardedClientAddress()
    {
        await using var site = await WebHarness.StartAsync(beforeMixpanel: WebHarness.BehindAProxyAt127001(ForwardedHeaders.XForwardedFor));
        var browser = site.NewBrowser();
        static void FromTheProxy(HttpRequestMessage request) => request.Headers.Add("X-Forwarded-For", "203.0.113.7");

        await browser.PostAsync("/signup/user-42", FromTheProxy);
        await browser.PostAsync("/purchase", FromTheProxy);
        await site.FlushAsync();

        site.Events.Should().OnlyContain(e => e.GeolocationIp == "203.0.113.7");
        site.Mixpanel.Records.Single(r => r.Endpoint == Mixpanel.Identity.Testing.MixpanelEndpoint.Engage)
            .Json.GetProperty("$ip").GetString().Should().Be("203.0.113.7");
    }
}
