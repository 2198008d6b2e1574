using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Mixpanel.Identity.AspNetCoreSample;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Delivery;
using Mixpanel.Identity.Tests.Fakes;
using Mixpanel.Identity.Tests.JavaScript;
using Xunit;

namespace Mixpanel.Identity.Tests.Samples;

/// <summary>
/// The ASP.NET Core sample shop, end to end: headless Chromium clicks through it while its page runs Mixpanel's browser
/// library (npm's mixpanel-browser, unchanged) and its server tracks with Mixpanel.Identity.AspNetCore, both sending to
/// the sample's embedded Mixpanel server. A visitor lands, browses, signs up, browses, buys and logs out, whatever the
/// page does at logout; then the next visitor lands on the same browser and browses. In both ID-merge systems, with the
/// library's cookie and local-storage persistence, with and without its cross-subdomain cookie, what Mixpanel resolves
/// is two people: every event on the right one, no user made of server page views alone, and nothing to report.
/// </summary>
[Collection(UsesJavaScript.Name)]
public sealed class AspNetCoreSampleTests(JavaScriptTools js)
{
    // A person's browser: what a site sees of a desktop Chrome. Each journey's is another version, as people's browsers
    // differ: Mixpanel's resolver takes events of one address and one browser, side by side, for one browser's.
    private static string DesktopChrome(int version) =>
        $"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{version}.0.0.0 Safari/537.36";

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

    // What the page does at logout: the library's reset() in the button's click handler, on the next page, or never.
    private static readonly string[] PageResets = ["click", "next-load", "never"];

    [Theory]
    [InlineData(IdMergeApi.Original, "cookie", true)]
    [InlineData(IdMergeApi.Original, "cookie", false)]
    [InlineData(IdMergeApi.Original, "localStorage", true)]
    [InlineData(IdMergeApi.Simplified, "cookie", true)]
    [InlineData(IdMergeApi.Simplified, "cookie", false)]
    [InlineData(IdMergeApi.Simplified, "localStorage", true)]
    public async Task Shop_InARealBrowser_AVisitorAndTheNextOneOnTheSameBrowserAreTwoPeopleWhateverThePageDoesAtLogout(
        IdMergeApi api, string persistence, bool crossSubdomainCookie)
    {
        // The server's records are delivered when the test flushes, after the browser's: the resolver reads records
        // in the order they arrive, and this one is the same on every run.
        await using var site = await SampleSite.StartAsync(
        [
            "--urls=http://127.0.0.1:0", $"--Mixpanel:IdMerge={api}", "--Mixpanel:FlushInterval=01:00:00", "--Logging:LogLevel:Default=Warning",
            $"--Mixpanel:BrowserPersistence={persistence}", $"--Mixpanel:BrowserCookieCrossSubdomain={crossSubdomainCookie}",
        ]);
        var server = site.LocalServer!;

        // On a subdomain, so that the library's cross-subdomain cookie is the site's (.shop.localhost), not the host's.
        var siteUrl = new UriBuilder(site.Address) { Host = "app.shop.localhost" }.Uri;
        var journeys = PageResets.Select((reset, index) => new Journey(siteUrl, DesktopChrome(131 - index), Flow($"ann-{index}", reset))).ToList();
        var run = await WalkAsync(site, journeys);
        await site.App.Services.GetRequiredService<MixpanelServerClient>().FlushAsync(DeliveryHarness.Patience);

        server.RejectedRecords.Should().BeEmpty();
        var events = server.DeduplicatedRecords.Where(r => r.IsEvent).ToList();
        var resolution = server.Resolve(api);
        var report = resolution.ToMarkdown();
        resolution.Findings.Should().BeEmpty(report);

        var seen = new HashSet<ReceivedRecord>();
        for (var index = 0; index < journeys.Count; index++)
        {
            var steps = run.Journeys[index].Steps;
            var because = $"(page resets {PageResets[index]})\n{report}";
            steps.Select(step => step.Status).Should().Equal(journeys[index].Steps.Select(step => step.Status), because);

            // The ids the library held while the person was there, and after they left.
            var logout = journeys[index].Steps.ToList().FindIndex(step => step.Action == "logout");
            var personDevices = steps.Take(logout).Select(step => step.DeviceId).OfType<string>().ToHashSet();
            var nextDevices = steps.Skip(logout).Select(step => step.DeviceId).OfType<string>().ToHashSet();
            personDevices.Should().ContainSingle("one device id from the first response, the server's and the library's alike " + because);
            nextDevices.Should().ContainSingle(because).Which.Should().NotBe(personDevices.Single());

            var userId = events.First(e => e.EventName == "Signed Up" && personDevices.Contains(e.DeviceId!)).UserId!;
            var mine = events.Where(e => personDevices.Contains(e.DeviceId!) || nextDevices.Contains(e.DeviceId!) || e.UserId == userId).ToList();
            seen.UnionWith(mine);
            var person = resolution.ResolveDistinctId(userId);
            var next = resolution.ResolveDistinctId("$device:" + nextDevices.Single());
            next.Should().NotBe(person, because);
            foreach (var record in mine)
            {
                var expected = record.UserId == userId || personDevices.Contains(record.DeviceId!) ? person : next;
                resolution.ResolvedDistinctIdOf(record.InsertId!).Should().Be(expected, $"{Library(record)}'s {record.EventName} on {record.DeviceId} {because}");
            }

            mine.Select(e => resolution.ResolvedDistinctIdOf(e.InsertId!)).Distinct().Should().HaveCount(2, "exactly two people " + because);
            foreach (var who in new[] { person, next })
            {
                var theirs = mine.Where(e => resolution.ResolvedDistinctIdOf(e.InsertId!) == who).ToList();
                theirs.Select(Library).Distinct().Should().BeEquivalentTo(["web", "dotnet"], "each person's browser and server events are one user " + because);
                theirs.Count(e => e.EventName == "$mp_web_page_view").Should().BeGreaterThan(0, "the server tracks the page views " + because);
            }
        }

        events.Should().OnlyContain(e => seen.Contains(e), "every event the server tracked is under an id the page's library held");
        if (persistence == "cookie")
        {
            // The first touch the library keeps in its cookie; with local storage the server has it only on the first request.
            var serverEvents = events.Where(e => Library(e) == "dotnet" && e.EventName != "$identify").ToList();
            foreach (var record in serverEvents.Where(e => FirstTouch(e) != default))
            {
                FirstTouch(record).Should().Be(FirstTouch(events.First(e => e.DeviceId == record.DeviceId && Library(e) == "web" && e.EventName != "$identify")),
                    $"{Library(record)}'s {record.EventName} carries the first touch of its visitor as the library's own events do");
            }

            serverEvents.Count(e => FirstTouch(e) != default).Should().BeGreaterThan(serverEvents.Count * 3 / 4, "the server reads the first touch from the library's cookie");
        }
    }

    // A visitor lands, reads the help page, comes back, adds to the wishlist, signs up, browses, buys and logs out; the
    // next visitor on the same browser lands, reads the help page, adds to the wishlist and reads the help page again.
    private static Step[] Flow(string name, string pageReset) =>
    [
        new("visit", "Not signed in"), new("help", null), new("visit", "Not signed in"), new("wishlist", "Not signed in", BrowserEvents: 1),
        new("signup", "Signed in as " + name, name, BrowserEvents: 1), new("help", null), new("visit", "Signed in as " + name),
        new("wishlist", "Signed in as " + name, BrowserEvents: 1), new("purchase", "Signed in as " + name),
        new("logout", "Not signed in", PageReset: pageReset),
        new("visit", "Not signed in"), new("help", null), new("visit", "Not signed in"), new("wishlist", "Not signed in", BrowserEvents: 1),
        new("help", null),
    ];

    private static (string?, string?) FirstTouch(ReceivedRecord record) =>
        (Text(record, "$initial_referrer"), Text(record, "$initial_referring_domain"));

    private static string? Text(ReceivedRecord record, string name) =>
        record.Properties.TryGetProperty(name, out var value) ? value.GetString() : null;

    private static string? Library(ReceivedRecord record) => record.Properties.GetProperty("mp_lib").GetString();

    // Walks the journeys in the browser, and keeps the browser open until the server has every event the browser library
    // tracked: the last batch of a page being left goes as a beacon, which only the server sees arrive.
    private async Task<WalkRun> WalkAsync(SampleSite site, IReadOnlyList<Journey> journeys)
    {
        var server = site.LocalServer!;
        var browserEvents = journeys.Sum(journey => journey.Steps.Sum(step => step.BrowserEvents));
        var browser = await js.BrowserAsync();
        using var folder = new TempDirectory();
        var doneFile = folder.Combine("journey.done");
        var settings = JsonSerializer.Serialize(new
        {
            cdpEndpoint = browser.CdpEndpoint,
            apiHost = server.BaseAddress.ToString(),
            journeys = journeys.Select(journey => new
            {
                siteUrl = journey.SiteUrl.ToString(),
                userAgent = journey.UserAgent,
                steps = journey.Steps.Select(step => new { action = step.Action, name = step.Name, pageReset = step.PageReset, browserEvents = step.BrowserEvents }),
            }),
            doneFile,
            timeoutMs = 90_000,
        });

        var walking = js.RunNodeAsync("sample-site-journey.mjs", [settings]);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var everyBrowserEvent = server.WaitForAsync(s => s.DeduplicatedRecords.Count(r => r.IsEvent && Library(r) == "web") >= browserEvents, patience.Token);
        try
        {
            await Task.WhenAny(walking, everyBrowserEvent);
        }
        finally
        {
            await File.WriteAllTextAsync(doneFile, "");
        }

        var run = await walking;
        everyBrowserEvent.IsCompletedSuccessfully.Should().BeTrue($"the browser library's {browserEvents} events reach the server\n{run}");

        run.ExitCode.Should().Be(0, run.ToString());
        var walked = JsonSerializer.Deserialize<WalkRun>(run.StandardOutput, JsonOptions)!;
        walked.TimedOut.Should().BeFalse(run.StandardOutput);
        walked.PageErrors.Should().BeEmpty();
        return walked;
    }

    private sealed record Journey(Uri SiteUrl, string UserAgent, IReadOnlyList<Step> Steps);

    // What the step shows (the status line; none on the help page) and how many events the page's library tracks in it:
    // the wishlist click, and the $identify of the page after sign-up.
    private sealed record Step(string Action, string? Status, string? Name = null, string? PageReset = null, int BrowserEvents = 0);

    private sealed record WalkRun(IReadOnlyList<JourneyRun> Journeys, bool TimedOut, IReadOnlyList<string> PageErrors);

    private sealed record JourneyRun(IReadOnlyList<StepSeen> Steps, IReadOnlyList<string> Delivered);

    private sealed record StepSeen(string Action, string Path, string? Status, string? DeviceId);
}
