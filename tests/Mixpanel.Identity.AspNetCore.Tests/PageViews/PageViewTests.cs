using System.Net;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.AspNetCore.Tests.Requests;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.PageViews;

/// <summary>Endpoints marked with <c>TrackPageView()</c>: one page view per successful response, none for crawlers by default.</summary>
public sealed class PageViewTests
{
    private static void MapPages(WebApplication app)
    {
        app.MapGet("/pricing", () => "pricing").TrackPageView();
        app.MapGet("/gone", () => Results.NotFound()).TrackPageView();
        app.MapGet("/moved", () => Results.Redirect("/pricing")).TrackPageView();
        app.MapGet("/broken", () => Results.Problem()).TrackPageView();
        app.MapGet("/unmarked", () => "not a page view");
    }

    [Fact]
    public async Task PageView_OfAMarkedEndpoint_IsTrackedOnlyForSuccessfulResponses()
    {
        await using var site = await WebHarness.StartAsync(endpoints: MapPages);
        var browser = site.NewBrowser();

        foreach (var path in new[] { "/gone", "/moved", "/broken", "/unmarked", "/pricing?utm_source=ad" })
        {
            await browser.GetAsync(path);
        }

        await site.FlushAsync();

        var view = site.Events.Should().ContainSingle().Subject;
        view.EventName.Should().Be("$mp_web_page_view");
        view.Properties.GetProperty("current_url_path").GetString().Should().Be("/pricing");
        view.Properties.GetProperty("current_url_search").GetString().Should().Be("?utm_source=ad");
        view.Properties.GetProperty("current_url_protocol").GetString().Should().Be("http:");
        view.Properties.GetProperty("current_domain").GetString().Should().Be("127.0.0.1");
        view.Properties.GetProperty("$current_url").GetString().Should().Be(site.BaseAddress + "pricing?utm_source=ad");
        view.Properties.GetProperty("utm_source").GetString().Should().Be("ad");
        view.DeviceId.Should().Be(browser.Cookies["mixpanel_device_id"], "the page view's anonymous id is the one put in the cookie");
    }

    [Fact]
    public async Task PageView_WithAnEventNameOfTheApps_GoesUnderIt()
    {
        await using var site = await WebHarness.StartAsync(endpoints: MapPages, web: options => options.PageViewEventName = "Page Viewed");

        await site.NewBrowser().GetAsync("/pricing");
        await site.FlushAsync();

        site.Events.Should().ContainSingle().Which.EventName.Should().Be("Page Viewed");
    }

    [Fact]
    public async Task PageView_OfACrawler_IsSkippedCountedAndLogged()
    {
        await using var site = await WebHarness.StartAsync(endpoints: MapPages);

        var response = await site.NewBrowser(TestBrowser.Googlebot).GetAsync("/pricing");
        await site.FlushAsync();

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        site.Events.Should().BeEmpty();
        site.Client.Diagnostics.GetDropped(DropReason.Crawler).Should().Be(1);
        site.Logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 5001).Which.Message.Should().Contain("Googlebot");
    }

    [Fact]
    public async Task PageView_OfACrawler_IsTrackedWhenTheAppTracksCrawlers()
    {
        await using var site = await WebHarness.StartAsync(endpoints: MapPages, web: options => options.TrackCrawlers = true);

        await site.NewBrowser(TestBrowser.Googlebot).GetAsync("/pricing");
        await site.FlushAsync();

        site.Events.Should().ContainSingle().Which.Properties.GetProperty("$browser").GetString().Should().Be("Googlebot");
        site.Client.Diagnostics.GetDropped(DropReason.Crawler).Should().Be(0);
    }

    [Fact]
    public async Task Events_OfASignedInUserWhoseUserAgentIsAnHttpTool_AreTracked()
    {
        await using var site = await WebHarness.StartAsync();
        var script = site.NewBrowser("curl/8.5.0");

        await script.PostAsync("/purchase");
        await script.PostAsync("/signup/user-42");
        await script.PostAsync("/purchase");
        await site.FlushAsync();

        site.Events.Select(e => e.EventName).Should().Equal(["Signed Up", "Purchased"], "signed in, the tool acts for its user");
        site.Client.Diagnostics.GetDropped(DropReason.Crawler).Should().Be(1, "the anonymous purchase was the tool's own");
    }
}
