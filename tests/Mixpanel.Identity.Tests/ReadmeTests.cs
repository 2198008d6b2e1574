using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FeatureManagement;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests;

/// <summary>The README's code, compiled and run; and a check that the README still shows exactly this code.</summary>
public sealed class ReadmeTests
{
    private static readonly string[] QuickStartLines =
    [
        "mixpanel.Track(\"Viewed Pricing\");",
        "mixpanel.Identify(\"user-1234\");",
        "mixpanel.People.Set(\"plan\", \"premium\");",
        "mixpanel.Register(new Dictionary<string, object?> { [\"app_version\"] = \"2.1\" });",
        "mixpanel.Track(\"Purchased\", new Dictionary<string, object?> { [\"amount\"] = 9.99 });",
        "mixpanel.Reset();",
        "await mixpanel.FlushAsync();",
    ];

    [Fact]
    public async Task QuickStart_RunsAndDeliversWhatItSays()
    {
        using var storage = new TempDirectory();
        await using var server = await LocalMixpanelServer.StartAsync();
        var options = new MixpanelOptions { ProjectToken = "YOUR_PROJECT_TOKEN", ApiHost = server.BaseAddress, StorageDirectory = storage.Path };

        // The README's quick start, with the options above.
        await using var mixpanel = new MixpanelClient(options);

        mixpanel.Track("Viewed Pricing");                                 // anonymous: distinct_id is $device:<uuid>
        mixpanel.Identify("user-1234");                                   // on sign-up, on login, on start when logged in
        mixpanel.People.Set("plan", "premium");                           // profile updates go to the user id
        mixpanel.Register(new Dictionary<string, object?> { ["app_version"] = "2.1" });
        mixpanel.Track("Purchased", new Dictionary<string, object?> { ["amount"] = 9.99 });
        mixpanel.Reset();                                                 // on logout
        await mixpanel.FlushAsync();                                      // optional: disposal delivers too

        var events = server.DeduplicatedRecords.Where(r => r.IsEvent).ToList();
        events.Select(r => (r.EventName, r.DistinctId)).Should().Equal(
            ("Viewed Pricing", "$device:" + events[0].DeviceId),
            ("$identify", "user-1234"),
            ("Purchased", "user-1234"));
        server.DeduplicatedRecords.Where(r => r.Endpoint == MixpanelEndpoint.Engage).Select(r => r.DistinctId).Should().Equal("user-1234");
        server.Resolve(IdMergeApi.Original).Findings.Should().BeEmpty();
    }

    [Fact]
    public void Readme_ShowsTheQuickStartThatIsTested()
    {
        var readme = File.ReadAllText(RepositoryPaths.Combine("README.md"));

        foreach (var line in QuickStartLines)
        {
            readme.Should().Contain(line);
        }

        readme.Should().Contain("new MixpanelClient(new MixpanelOptions { ProjectToken = \"YOUR_PROJECT_TOKEN\" });");
    }

    [Fact]
    public async Task Logout_ThenSecondUser_KeepsPeopleApart()
    {
        // The README's example for the testing package, as written there.
        await using var server = await LocalMixpanelServer.StartAsync();
        await using var app = new MixpanelClient(new MixpanelOptions
        {
            ProjectToken = "test",
            ApiHost = server.BaseAddress,
            StorageDirectory = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString()),
        });

        app.Identify("user-1");
        app.Track("Logged Out");
        app.Reset();
        app.Identify("user-2");
        app.Track("Viewed Feed");
        await app.FlushAsync();

        var resolution = server.Resolve(IdMergeApi.Original);
        Assert.Empty(resolution.Findings);
        Console.WriteLine(resolution.ToMarkdown());   // or resolution.ToHtml(): one self-contained page
    }

    [Fact]
    public void FakeClient_TheReadmesExample_RunsAsWritten()
    {
        // The README's unit test, as it is written there.
        var mixpanel = new FakeMixpanelClient();

        new OrderService(mixpanel).Complete("account-42", 19.99m);

        var order = Assert.Single(mixpanel.Events);
        Assert.Equal("Order Completed", order.Name);
        Assert.Equal("account-42", order.DistinctId);
        Assert.Equal(19.99m, order.Properties["total"]);
        Assert.Equal("$add", Assert.Single(mixpanel.ProfileUpdates).Update.Operation);

        File.ReadAllText(RepositoryPaths.Combine("README.md")).Should().Contain("new OrderService(mixpanel).Complete(\"account-42\", 19.99m);");
    }

    [Fact]
    public void FakeServerClient_TheReadmesExample_RunsAsWritten()
    {
        // The README's server example, as it is written there.
        var mixpanel = new FakeMixpanelServerClient();
        var user = mixpanel.Identify(new MixpanelVisitor("browser-1"), "account-42");
        mixpanel.Track(user, "Order Completed");
        Assert.Equal("account-42", Assert.Single(mixpanel.Events).DistinctId);

        File.ReadAllText(RepositoryPaths.Combine("README.md")).Should()
            .Contain("var user = mixpanel.Identify(new MixpanelVisitor(\"browser-1\"), \"account-42\");")
            .And.Contain("Assert.Equal(\"account-42\", Assert.Single(mixpanel.Events).DistinctId);");
    }

    [Fact]
    public void FakeClientFlags_TheReadmesExample_RunsAsWritten()
    {
        // The README's unit test with scripted flags, as it is written there.
        var mixpanel = new FakeMixpanelClient();
        mixpanel.SetFlagVariant("new-checkout", "on", true);                   // distinctId: "user-7" for one person

        var page = new CheckoutPage(mixpanel);                                 // reads mixpanel.Flags.IsEnabled("new-checkout")

        Assert.True(page.ShowsNewCheckout);
        Assert.Equal("on", Assert.Single(mixpanel.Exposures).Properties["Variant name"]);

        File.ReadAllText(RepositoryPaths.Combine("README.md")).Should()
            .Contain("mixpanel.SetFlagVariant(\"new-checkout\", \"on\", true);")
            .And.Contain("var page = new CheckoutPage(mixpanel);")
            .And.Contain("Assert.Equal(\"on\", Assert.Single(mixpanel.Exposures).Properties[\"Variant name\"]);");
    }

    [Fact]
    public async Task FeatureManagement_TheReadmesRegistration_AnswersFromMixpanelAndOutsideARequestNothingIsOn()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddMixpanelServer(options => (options.ProjectToken, options.Storage) = ("test", StorageMode.Memory));
        services.AddMixpanelFeatureManagement((http, context) =>           // what the flags' rules read
            context.CustomProperties["plan"] = http.User.FindFirst("plan")?.Value);
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IFeatureDefinitionProvider>().GetType().Name.Should().Be("MixpanelFeatureDefinitionProvider");
        (await provider.GetRequiredService<IVariantFeatureManager>().IsEnabledAsync("new-checkout", CancellationToken.None)).Should().BeFalse("no request, no visitor");

        var readme = File.ReadAllText(RepositoryPaths.Combine("README.md"));
        readme.Should().Contain("builder.Services.AddMixpanelFeatureManagement((http, context) =>           // what the flags' rules read")
            .And.Contain("    context.CustomProperties[\"plan\"] = http.User.FindFirst(\"plan\")?.Value);");
    }

    [Fact]
    public void Readme_WebAppSection_ShowsThePagesScriptAndTheServerCodeOfTheSampleTheSuiteRuns()
    {
        var readme = File.ReadAllText(RepositoryPaths.Combine("README.md")).ReplaceLineEndings("\n");
        var section = readme[readme.IndexOf("### A web app: browser and server together", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", StringComparison.Ordinal)];
        var server = File.ReadAllText(RepositoryPaths.Combine("samples", "Mixpanel.Identity.AspNetCoreSample", "SampleSite.cs"));

        CodeBlock(section, "js").Should().Be(AspNetCoreSample.ShopPage.Script.ReplaceLineEndings("\n").TrimEnd(), "the page's script is the sample's, as it runs");
        var serverLines = CodeBlock(section, "csharp").Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0).ToList();
        serverLines.Should().HaveCountGreaterThan(8);
        serverLines.Should().OnlyContain(line => server.Contains(line, StringComparison.Ordinal), "every line of the server's code is the sample's");
    }

    private static string CodeBlock(string markdown, string language)
    {
        var start = markdown.IndexOf("```" + language + "\n", StringComparison.Ordinal) + language.Length + 4;
        return markdown[start..markdown.IndexOf("\n```", start, StringComparison.Ordinal)];
    }

    private sealed class CheckoutPage(IMixpanelClient mixpanel)
    {
        public bool ShowsNewCheckout { get; } = mixpanel.Flags.IsEnabled("new-checkout");
    }

    private sealed class OrderService(IMixpanelClient mixpanel)
    {
        public void Complete(string accountId, decimal total)
        {
            mixpanel.Identify(accountId);
            mixpanel.Track("Order Completed", new Dictionary<string, object?> { ["total"] = total });
            mixpanel.People.Increment("orders");
        }
    }
}
