using System.Collections.Concurrent;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.Requests;

/// <summary>
/// A tracker kept by work that outlives its request: Kestrel reuses the request's HttpContext for the next request on
/// the connection, so what the events say of the visitor must have been read while the request was alive.
/// </summary>
public sealed class AfterResponseTests
{
    private const string Firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";

    [Fact]
    public async Task Track_FromWorkAfterTheResponse_DescribesTheVisitorOfItsOwnRequestNotTheNextOneOnTheConnection()
    {
        var kept = new ConcurrentQueue<IMixpanelRequestTracker>();
        await using var site = await WebHarness.StartAsync(endpoints: app =>
        {
            // Fire-and-forget work, as an app would start it, that tracks once the response has gone.
            app.MapGet("/later", (IMixpanelRequestTracker mixpanel) =>
            {
                kept.Enqueue(mixpanel);
                return "accepted";
            });
            app.MapGet("/other", () => "other");
        });
        var first = site.NewBrowser();
        var next = site.NewBrowser(Firefox);

        await first.GetAsync("/later?utm_source=first", request => request.Headers.Referrer = new Uri("https://first.example/"));
        await next.GetAsync("/other?utm_source=next", request => request.Headers.Referrer = new Uri("https://next.example/"));
        kept.TryDequeue(out var tracker).Should().BeTrue();
        tracker!.Track("Report Ready");
        await site.FlushAsync();

        var ready = site.Events.Should().ContainSingle().Subject;
        ready.Properties.GetProperty("$browser").GetString().Should().Be("Chrome", "the visitor of the request that started the work");
        ready.Properties.GetProperty("$current_url").GetString().Should().EndWith("/later?utm_source=first");
        ready.Properties.GetProperty("utm_source").GetString().Should().Be("first");
        ready.Properties.GetProperty("$referrer").GetString().Should().Be("https://first.example/");
        ready.DeviceId.Should().Be(first.Cookies["mixpanel_device_id"]);
    }

    [Fact]
    public async Task Reset_FromWorkAfterTheResponse_IsLoggedAndTracksUnderTheNewIdWithoutTouchingTheConnection()
    {
        var kept = new ConcurrentQueue<IMixpanelRequestTracker>();
        await using var site = await WebHarness.StartAsync(endpoints: app => app.MapGet("/later", (IMixpanelRequestTracker mixpanel) =>
        {
            kept.Enqueue(mixpanel);
            return "accepted";
        }));
        var browser = site.NewBrowser();
        await browser.GetAsync("/later");
        var before = browser.Cookies["mixpanel_device_id"];
        await browser.GetAsync("/track/Next");
        kept.TryDequeue(out var tracker).Should().BeTrue();

        tracker!.Reset();
        tracker.Track("Late");
        await site.FlushAsync();

        site.Logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 5005);
        site.Events.Single(e => e.EventName == "Late").DeviceId.Should().NotBe(before);
        browser.Cookies["mixpanel_device_id"].Should().Be(before, "the cookie could no longer be written");
    }
}
