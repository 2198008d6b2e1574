using FluentAssertions;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.Requests;

/// <summary>Crawlers' events: skipped and counted, reported in the log at most once a minute, or tracked on request.</summary>
public sealed class CrawlerTests
{
    private const string HeadlessChrome =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36";

    [Fact]
    public async Task Skips_AreCountedAndLoggedAtInformationAtMostOnceAMinuteWithTheCount()
    {
        await using var site = await WebHarness.StartAsync();
        var crawler = site.NewBrowser(TestBrowser.Googlebot);

        await crawler.GetAsync("/track/Viewed%20Home");
        await crawler.GetAsync("/track/Viewed%20Pricing");
        await crawler.GetAsync("/track/Viewed%20Help");
        site.Time.Advance(TimeSpan.FromSeconds(59));
        await crawler.GetAsync("/track/Viewed%20About");
        site.Time.Advance(TimeSpan.FromSeconds(1));
        await crawler.GetAsync("/track/Viewed%20Jobs");
        await site.FlushAsync();

        site.Events.Should().BeEmpty();
        site.Client.Diagnostics.GetDropped(DropReason.Crawler).Should().Be(5);
        var reports = site.Logs.GetSnapshot().Where(r => r.Id.Id == 5001).ToList();
        reports.Should().HaveCount(2, "one report on the first skip, the next a minute later");
        reports.Should().OnlyContain(r => r.Level == LogLevel.Information);
        reports[0].Message.Should().StartWith("1 event(s)").And.Contain("Googlebot");
        reports[1].Message.Should().StartWith("4 event(s)", "the skips since the last report");
    }

    [Fact]
    public async Task TrackCrawlers_TracksThem()
    {
        await using var site = await WebHarness.StartAsync(web: options => options.TrackCrawlers = true);

        await site.NewBrowser(TestBrowser.Googlebot).GetAsync("/track/Viewed%20Home");
        await site.FlushAsync();

        site.Events.Should().ContainSingle().Which.Properties.GetProperty("$browser").GetString().Should().Be("Googlebot");
        site.Client.Diagnostics.GetDropped(DropReason.Crawler).Should().Be(0);
    }

    [Fact]
    public async Task HeadlessChrome_OfAnAppsEndToEndTests_IsTrackedAsChromeAsTheBrowserLibraryTracksIt()
    {
        await using var site = await WebHarness.StartAsync();

        await site.NewBrowser(HeadlessChrome).GetAsync("/track/Viewed%20Home");
        await site.FlushAsync();

        site.Events.Should().ContainSingle().Which.Properties.GetProperty("$browser").GetString().Should().Be("Chrome");
        site.Client.Diagnostics.GetDropped(DropReason.Crawler).Should().Be(0);
    }
}
