using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mixpanel.Identity.AspNetCore.Tests.Requests;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.DependencyInjection;

/// <summary><c>AddMixpanelServer</c>: options from code or configuration, checked at start-up, and delivery when the app stops.</summary>
public sealed class AddMixpanelServerTests
{
    [Fact]
    public async Task Configuration_OneSection_SetsTheClientsAndTheWebOptions()
    {
        await using var app = Build(new Dictionary<string, string?>
        {
            ["Mixpanel:ProjectToken"] = "from-config",
            ["Mixpanel:IdMerge"] = "Simplified",
            ["Mixpanel:CookieName"] = "visitor",
            ["Mixpanel:CookieLifetime"] = "30.00:00:00",
            ["Mixpanel:BrowserCookieName"] = "mp_custom",
            ["Mixpanel:UserIdClaimType"] = "sub",
            ["Mixpanel:PageViewEventName"] = "Page Viewed",
            ["Mixpanel:TrackCrawlers"] = "true",
        });

        var web = app.Services.GetRequiredService<IOptions<MixpanelWebOptions>>().Value;
        var mixpanel = app.Services.GetRequiredService<IOptions<MixpanelOptions>>().Value;

        mixpanel.ProjectToken.Should().Be("from-config");
        mixpanel.IdMerge.Should().Be(IdMergeApi.Simplified);
        web.Should().BeEquivalentTo(new MixpanelWebOptions
        {
            CookieName = "visitor",
            CookieLifetime = TimeSpan.FromDays(30),
            BrowserCookieName = "mp_custom",
            UserIdClaimType = "sub",
            PageViewEventName = "Page Viewed",
            TrackCrawlers = true,
        });
    }

    [Fact]
    public async Task Configuration_ValuesThatCannotBeRead_FailStartUpNamingEachKey()
    {
        await using var app = Build(new Dictionary<string, string?>
        {
            ["Mixpanel:ProjectToken"] = "from-config",
            ["Mixpanel:CookieLifetime"] = "30",
            ["Mixpanel:TrackCrawlers"] = "sometimes",
        });

        var start = () => app.StartAsync();

        var failure = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        failure.Failures.Should().Contain(f => f.Contains("Mixpanel:CookieLifetime", StringComparison.Ordinal))
            .And.Contain(f => f.Contains("Mixpanel:TrackCrawlers", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WebOptions_Invalid_FailStartUpWithEveryProblem()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddMixpanelServer(
            options => options.ProjectToken = "token",
            web =>
            {
                web.CookieName = "my cookie;";
                web.CookieLifetime = TimeSpan.Zero;
                web.PageViewEventName = " ";
            });
        await using var app = builder.Build();

        var start = () => app.StartAsync();

        var failure = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        failure.Failures.Should().HaveCount(3);
    }

    [Fact]
    public async Task WebOptions_CookieLifetimeBeyondWhatBrowsersKeep_FailsStartUpNamingIt()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddMixpanelServer(options => options.ProjectToken = "token", web => web.CookieLifetime = TimeSpan.MaxValue);
        await using var app = builder.Build();

        var start = () => app.StartAsync();

        var failure = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        failure.Failures.Should().ContainSingle().Which.Should().Contain("CookieLifetime").And.Contain("400 days");
    }

    [Fact]
    public async Task AppStop_DeliversWhatIsQueued()
    {
        await using var site = await WebHarness.StartAsync();
        await site.NewBrowser().GetAsync("/track/Viewed%20Home");
        site.Mixpanel.Records.Should().BeEmpty("FlushInterval is an hour and the batch is not full");

        await site.App.StopAsync();

        site.Mixpanel.Records.Should().ContainSingle().Which.EventName.Should().Be("Viewed Home");
    }

    [Fact]
    public async Task AddMixpanelServer_ExposesTheClientAsItsInterface_OneSingleton()
    {
        await using var app = Build(new Dictionary<string, string?> { ["Mixpanel:ProjectToken"] = "from-config" });

        var byInterface = app.Services.GetRequiredService<IMixpanelServerClient>();

        byInterface.Should().BeSameAs(app.Services.GetRequiredService<MixpanelServerClient>());
    }

    [Fact]
    public void AddMixpanelServer_AfterTheAppRegisteredItsOwnInterface_KeepsTheApps()
    {
        var services = new ServiceCollection();
        var own = new Mixpanel.Identity.Testing.FakeMixpanelServerClient();
        services.AddSingleton<IMixpanelServerClient>(own);

        services.AddMixpanelServer(options => options.ProjectToken = "token");

        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IMixpanelServerClient>().Should().BeSameAs(own);
    }

    [Fact]
    public void AddMixpanelServer_NullArguments_ThrowArgumentNullExceptionNamingThem()
    {
        var services = new ServiceCollection();

        services.Invoking(s => s.AddMixpanelServer((Action<MixpanelOptions>)null!)).Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("configure");
        services.Invoking(s => s.AddMixpanelServer((IConfiguration)null!)).Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("configuration");
    }

    private static WebApplication Build(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddMixpanelServer(builder.Configuration.GetSection("Mixpanel"));
        return builder.Build();
    }
}
