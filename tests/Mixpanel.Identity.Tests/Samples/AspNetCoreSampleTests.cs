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
/// the sample's embedded Mixpanel server. One person's browser and server events must be one Mixpanel user, and the
/// next person on the same browser another, in both ID-merge systems.
/// </summary>
[Collection(UsesJavaScript.Name)]
public sealed class AspNetCoreSampleTests(JavaScriptTools js)
{
    // A person's browser: headless Chromium names itself HeadlessChrome, which servers rightly take for a robot.
    private const string DesktopChrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

    // Ann visits, reads the help page, signs up, buys, logs out, logs in again, buys, logs out; then Bob, on the same
    // browser, signs up, buys and logs out.
    private static readonly Step[] Journey =
    [
        new("visit"), new("help"), new("visit"), new("signup", "ann"), new("purchase"), new("logout"),
        new("login", "ann"), new("purchase"), new("logout"), new("signup", "bob"), new("purchase"), new("logout"),
    ];

    private static readonly int BrowserEvents = Journey.Sum(step => step.BrowserEvents);

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public async Task Shop_InARealBrowser_OnePersonsBrowserAndServerEventsAreOneUserAndTheNextPersonAnother(IdMergeApi api)
    {
        // The server's records are delivered when the test flushes, after the browser's: the resolver reads records
        // in the order they arrive, and this one is the same on every run.
        await using var site = await SampleSite.StartAsync(
            ["--urls=http://127.0.0.1:0", $"--Mixpanel:IdMerge={api}", "--Mixpanel:FlushInterval=01:00:00", "--Logging:LogLevel:Default=Warning"]);
        var server = site.LocalServer!;

        var journey = await WalkAsync(site);
        await site.App.Services.GetRequiredService<MixpanelServerClient>().FlushAsync(DeliveryHarness.Patience);

        journey.Steps.Select(step => step.Status).Should().Equal(
            "Not signed in", null, "Not signed in", "Signed in as ann", "Signed in as ann", "Not signed in",
            "Signed in as ann", "Signed in as ann", "Not signed in", "Signed in as bob", "Signed in as bob", "Not signed in");
        server.RejectedRecords.Should().BeEmpty();

        // The anonymous ids the browser library held: Ann's before and after her first logout, Bob's, and the one after
        // Bob logged out.
        var annDevices = new[] { journey.Steps[3].DeviceId!, journey.Steps[6].DeviceId! };
        var bobDevice = journey.Steps[9].DeviceId!;
        var lastDevice = journey.Steps[^1].DeviceId!;
        annDevices.Append(bobDevice).Append(lastDevice).Should().OnlyHaveUniqueItems("every logout resets the library");

        var events = server.DeduplicatedRecords.Where(r => r.IsEvent).ToList();
        events.Should().OnlyContain(e => annDevices.Contains(e.DeviceId) || e.DeviceId == bobDevice || e.DeviceId == lastDevice,
            "server events continue the browser library's anonymous id; the server's own id is never needed");
        events.Count(e => Library(e) == "web").Should().Be(BrowserEvents);
        var serverEvents = events.Where(e => Library(e) == "dotnet" && e.EventName != "$identify").ToList();
        serverEvents.Select(e => e.EventName).Should().BeEquivalentTo(
            ["$mp_web_page_view", "Signed Up", "Purchased", "Logged Out", "Logged In", "Purchased", "Logged Out", "Signed Up", "Purchased", "Logged Out"]);
        var helpView = serverEvents.Single(e => e.EventName == "$mp_web_page_view");
        helpView.Properties.GetProperty("current_url_path").GetString().Should().Be("/help");
        helpView.DeviceId.Should().Be(journey.Steps[0].DeviceId, "the server's page view continues the browser's visitor");

        var resolution = server.Resolve(api);
        resolution.Findings.Should().BeEmpty(resolution.ToMarkdown());
        var signUps = serverEvents.Where(e => e.EventName == "Signed Up").OrderBy(e => e.Time).ToList();
        var ann = resolution.ResolveDistinctId(signUps[0].UserId!);
        var bob = resolution.ResolveDistinctId(signUps[1].UserId!);
        ann.Should().NotBe(bob);
        foreach (var record in events)
        {
            var resolved = resolution.ResolvedDistinctIdOf(record.InsertId!);
            var expected = annDevices.Contains(record.DeviceId) ? ann : record.DeviceId == bobDevice ? bob : null;
            if (expected is null)
            {
                resolved.Should().NotBe(ann).And.NotBe(bob, "after Bob logged out the browser is nobody's yet");
            }
            else
            {
                resolved.Should().Be(expected, $"{Library(record)}'s {record.EventName} on device {record.DeviceId}\n{resolution.ToMarkdown()}");
            }
        }

        foreach (var person in new[] { ann, bob })
        {
            events.Where(e => resolution.ResolvedDistinctIdOf(e.InsertId!) == person).Select(Library).Distinct()
                .Should().BeEquivalentTo(["web", "dotnet"], "one user holds both the browser's and the server's events");
        }
    }

    private static string? Library(ReceivedRecord record) => record.Properties.GetProperty("mp_lib").GetString();

    // Walks the journey in the browser, and keeps the browser open until the server has every event the browser library
    // tracked: the last batch of a page being left goes as a beacon, which only the server sees arrive.
    private async Task<JourneyRun> WalkAsync(SampleSite site)
    {
        var server = site.LocalServer!;
        var browser = await js.BrowserAsync();
        using var folder = new TempDirectory();
        var doneFile = folder.Combine("journey.done");
        var settings = JsonSerializer.Serialize(new
        {
            cdpEndpoint = browser.CdpEndpoint,
            siteUrl = site.Address.ToString(),
            apiHost = server.BaseAddress.ToString(),
            userAgent = DesktopChrome,
            steps = Journey.Select(step => new { action = step.Action, name = step.Name, browserEvents = step.BrowserEvents }),
            doneFile,
            timeoutMs = 90_000,
        });

        var walking = js.RunNodeAsync("sample-site-journey.mjs", [settings]);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var everyBrowserEvent = server.WaitForAsync(s => s.DeduplicatedRecords.Count(r => r.IsEvent && Library(r) == "web") >= BrowserEvents, patience.Token);
        try
        {
            await Task.WhenAny(walking, everyBrowserEvent);
        }
        finally
        {
            await File.WriteAllTextAsync(doneFile, "");
        }

        var run = await walking;
        everyBrowserEvent.IsCompletedSuccessfully.Should().BeTrue($"the browser library's {BrowserEvents} events reach the server\n{run}");

        run.ExitCode.Should().Be(0, run.ToString());
        var journey = JsonSerializer.Deserialize<JourneyRun>(run.StandardOutput, JsonOptions)!;
        journey.TimedOut.Should().BeFalse(run.StandardOutput);
        journey.PageErrors.Should().BeEmpty();
        return journey;
    }

    private sealed record Step(string Action, string? Name = null)
    {
        // The library's page view on each load of the shop's page (all but the help page), and its $identify after
        // sign-up and login.
        public int BrowserEvents => Action switch
        {
            "help" => 0,
            "signup" or "login" => 2,
            _ => 1,
        };
    }

    private sealed record JourneyRun(IReadOnlyList<StepSeen> Steps, IReadOnlyList<string> Delivered, bool TimedOut, IReadOnlyList<string> PageErrors);

    private sealed record StepSeen(string Action, string Path, string? Status, string? DeviceId);
}
