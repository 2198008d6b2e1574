using System.Net;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.FeatureManagement;
using Microsoft.FeatureManagement.Mvc;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.AspNetCore.Tests.Requests;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.FeatureManagement;

/// <summary>
/// <c>Microsoft.FeatureManagement</c> answered by Mixpanel's flags: a real app on Kestrel with a controller behind
/// <c>[FeatureGate]</c> and endpoints asking <see cref="IVariantFeatureManager"/>, its flags served and evaluated by a
/// <see cref="LocalMixpanelServer"/> (remote evaluation, so that every evaluation is a request the server counts).
/// </summary>
public sealed class FeatureManagementTests
{
    // Rollouts in order: "pro" visitors get "on" (true), "free" ones "control" (false), the rest no variant at all.
    private const string Definitions = """
        {"flags": [
          {"id": "1", "name": "Checkout", "key": "new-checkout", "status": "active", "project_id": 1, "context": "distinct_id",
           "ruleset": {"variants": [{"key": "control", "value": false, "is_control": true, "split": 0.5}, {"key": "on", "value": true, "split": 0.5}],
                       "rollout": [{"rollout_percentage": 1.0, "runtime_evaluation_rule": {"==": [{"var": "plan"}, "pro"]}, "variant_override": {"key": "on"}},
                                   {"rollout_percentage": 1.0, "runtime_evaluation_rule": {"==": [{"var": "plan"}, "free"]}, "variant_override": {"key": "control"}}]}},
          {"id": "2", "name": "Button", "key": "button-style", "status": "active", "project_id": 1, "context": "distinct_id",
           "ruleset": {"variants": [{"key": "bold-blue", "value": {"color": "#00f", "sizes": [12, 16], "rounded": true}, "split": 1.0}],
                       "rollout": [{"rollout_percentage": 1.0}]}}
        ]}
        """;

    [Fact]
    public async Task FeatureGate_PerVisitor_FollowsTheRolloutAndEvaluatesOncePerRequest()
    {
        await using var web = await StartAsync();
        var pro = web.NewBrowser();
        var free = web.NewBrowser();
        var nobody = web.NewBrowser();

        var proAnswer = await pro.GetAsync("/checkout", Plan("pro"));
        var requestsAfterOne = web.Mixpanel.FlagRequestCount;
        var freeAnswer = await free.GetAsync("/checkout", Plan("free"));
        var nobodyAnswer = await nobody.GetAsync("/checkout");
        var proAgain = await pro.GetAsync("/checkout", Plan("pro"));
        await web.FlushAsync();

        proAnswer.StatusCode.Should().Be(HttpStatusCode.OK);
        (await proAnswer.Content.ReadAsStringAsync()).Should().Be("open:True:on", "the gate, IsEnabledAsync and GetVariantAsync all see Mixpanel's variant");
        freeAnswer.StatusCode.Should().Be(HttpStatusCode.NotFound, "the control variant's value is false");
        nobodyAnswer.StatusCode.Should().Be(HttpStatusCode.NotFound, "no rollout matched: a fallback is a disabled feature");
        proAgain.StatusCode.Should().Be(HttpStatusCode.OK);
        requestsAfterOne.Should().Be(1, "the gate and the action asked three times in one request, and the flag was evaluated once");
        web.Mixpanel.FlagRequestCount.Should().Be(4, "one evaluation per request and flag");

        var exposures = web.Mixpanel.Exposures;
        exposures.Should().HaveCount(3, "one per request that got a variant (the control variant too), none for a fallback");
        var proDevice = pro.Cookies["mixpanel_device_id"];
        exposures.Where(e => e.DeviceId == proDevice).Should().HaveCount(2, "each request reports its exposure once");
        exposures.Should().OnlyContain(e => e.Properties.GetProperty("Experiment name").GetString() == "new-checkout");
        var freeExposure = exposures.Should().ContainSingle(e => e.DeviceId == free.Cookies["mixpanel_device_id"]).Subject;
        freeExposure.DistinctId.Should().Be("$device:" + free.Cookies["mixpanel_device_id"]);
        freeExposure.Properties.GetProperty("Variant name").GetString().Should().Be("control");
    }

    [Fact]
    public async Task GetVariantAsync_SignedInVisitor_AnswersMixpanelsVariantWithItsValueAsConfiguration()
    {
        await using var web = await StartAsync();
        var browser = web.NewBrowser();
        await browser.PostAsync("/signup/user-7");

        var answer = await browser.GetAsync("/button");
        await web.FlushAsync();

        (await answer.Content.ReadAsStringAsync()).Should().Be("bold-blue|#00f|16|true|False");
        web.Mixpanel.FlagRequestCount.Should().Be(1);
        web.Logs.GetSnapshot().Where(l => l.Level >= LogLevel.Warning).Select(l => l.Message).Should().BeEmpty();
        var exposure = web.Mixpanel.Exposures.Should().ContainSingle().Subject;
        exposure.DistinctId.Should().Be("user-7");
        exposure.UserId.Should().Be("user-7");
        exposure.DeviceId.Should().Be(browser.Cookies["mixpanel_device_id"]);
        exposure.Properties.GetProperty("Variant name").GetString().Should().Be("bold-blue");
    }

    [Fact]
    public async Task IsEnabledAsync_UnknownFlag_DisabledWithoutVariantOrExposure()
    {
        await using var web = await StartAsync();

        var answer = await web.NewBrowser().GetAsync("/unknown");
        await web.FlushAsync();

        (await answer.Content.ReadAsStringAsync()).Should().Be("False|none");
        web.Mixpanel.FlagRequestCount.Should().Be(1);
        web.Mixpanel.Exposures.Should().BeEmpty();
        web.Logs.GetSnapshot().Where(l => l.Level >= LogLevel.Warning).Select(l => l.Message).Should().BeEmpty();
    }

    [Fact]
    public async Task GetVariantAsync_ForACrawler_AnswersTheVariantAndSkipsItsExposureCounted()
    {
        await using var web = await StartAsync();

        var answer = await web.NewBrowser(TestBrowser.Googlebot).GetAsync("/button");
        await web.FlushAsync();

        (await answer.Content.ReadAsStringAsync()).Should().StartWith("bold-blue|", "a crawler sees the page as a visitor would");
        web.Mixpanel.Exposures.Should().BeEmpty("a crawler's events are not tracked, its exposure no more than its page views");
        web.Client.Diagnostics.GetDropped(DropReason.Crawler).Should().Be(1, "the exposure is skipped once, counted");
    }

    [Fact]
    public async Task AppsOwnFeatures_KeepTheirDefinitions_AndMayFollowAMixpanelFlag()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FeatureManagement:Beta"] = "true",
            ["FeatureManagement:new-checkout"] = "false",
            ["FeatureManagement:Checkout:EnabledFor:0:Name"] = "Mixpanel",
            ["FeatureManagement:Checkout:EnabledFor:0:Parameters:Flag"] = "new-checkout",
        }).Build();
        await using var web = await StartAsync(
            services => services.AddSingleton<IFeatureDefinitionProvider>(new ConfigurationFeatureDefinitionProvider(configuration)),
            app => app.MapGet("/own", async (IFeatureManager features) =>
                $"{await features.IsEnabledAsync("Beta")}|{await features.IsEnabledAsync("new-checkout")}|{await features.IsEnabledAsync("Checkout")}|{await features.IsEnabledAsync("button-style")}"));

        var answer = await web.NewBrowser().GetAsync("/own", Plan("pro"));

        (await answer.Content.ReadAsStringAsync()).Should().Be(
            "True|False|True|False",
            "the app's own features first (its 'new-checkout' off whatever Mixpanel says), its 'Checkout' following the Mixpanel flag it names, then Mixpanel's flags");
    }

    private static Action<HttpRequestMessage> Plan(string plan) => request => request.Headers.Add("X-Plan", plan);

    private static async Task<WebHarness> StartAsync(Action<IServiceCollection>? before = null, Action<WebApplication>? endpoints = null)
    {
        var web = await WebHarness.StartAsync(
            mixpanel: options =>
            {
                options.FlagsEvaluation = MixpanelFlagsEvaluation.Remote;
                options.FlagsDeduplicateExposures = false;
            },
            services: services =>
            {
                before?.Invoke(services);
                services.AddControllers().AddApplicationPart(typeof(CheckoutController).Assembly);
                services.AddMixpanelFeatureManagement((http, context) =>
                {
                    if (http.Request.Headers["X-Plan"] is [{ } plan])
                    {
                        context.CustomProperties["plan"] = plan;
                    }
                });
            },
            endpoints: app =>
            {
                app.MapControllers();
                endpoints?.Invoke(app);
                app.MapGet("/button", async (IVariantFeatureManager features) =>
                {
                    var variant = await features.GetVariantAsync("button-style", CancellationToken.None);
                    var again = await features.GetVariantAsync("button-style", CancellationToken.None);
                    var enabled = await features.IsEnabledAsync("button-style", CancellationToken.None);
                    var configuration = again!.Configuration!;
                    return $"{variant!.Name}|{configuration["color"]}|{configuration["sizes:1"]}|{configuration["rounded"]}|{enabled}";
                });
                app.MapGet("/unknown", async (IVariantFeatureManager features) =>
                {
                    var enabled = await features.IsEnabledAsync("no-such-flag", CancellationToken.None);
                    var variant = await features.GetVariantAsync("no-such-flag", CancellationToken.None);
                    return $"{enabled}|{variant?.Name ?? "none"}";
                });
            });
        web.Mixpanel.SetFlagDefinitions(Definitions);
        return web;
    }
}

/// <summary>A page behind a Mixpanel feature gate, that asks about the same flag again.</summary>
[Route("checkout")]
public sealed class CheckoutController(IFeatureManager features, IVariantFeatureManager variants) : Controller
{
    [HttpGet]
    [FeatureGate("new-checkout")]
    public async Task<string> Get()
    {
        var enabled = await features.IsEnabledAsync("new-checkout");
        var variant = await variants.GetVariantAsync("new-checkout", HttpContext.RequestAborted);
        return $"open:{enabled}:{variant?.Name}";
    }
}
