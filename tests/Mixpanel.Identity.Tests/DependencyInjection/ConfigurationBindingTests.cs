using System.Reflection;
using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Mixpanel.Identity.Tests.DependencyInjection;

public sealed class ConfigurationBindingTests
{
    private const string Section = "Mixpanel";

    [Fact]
    public void AddMixpanel_EveryKeySet_BindsEveryOption()
    {
        // Every value differs from the option's default, so an option that is not read keeps its default and fails.
        var values = new Dictionary<string, string?>
        {
            ["Enabled"] = "false",
            ["TrackAutomaticEvents"] = "true",
            ["MinimumSessionDuration"] = "00:00:30",
            ["ProjectToken"] = " token-1 ",
            ["ApiHost"] = "EU",
            ["IdMerge"] = "Simplified",
            ["StorageDirectory"] = "/var/lib/app/mixpanel",
            ["Storage"] = "Memory",
            ["BatchSize"] = "25",
            ["FlushInterval"] = "00:00:30",
            ["MaxQueueSize"] = "5000",
            ["MaxQueueBytes"] = "1048576",
            ["TrackMemoryBudgetBytes"] = "131072",
            ["PersistInterval"] = "00:00:00.250",
            ["ShutdownTimeout"] = "00:00:02",
            ["RequestTimeout"] = "00:01:00",
            ["FlushTimeout"] = "00:00:45",
            ["UseGzip"] = "false",
            ["UseIpAddressForGeolocation"] = "False",
            ["SendDefaultProperties"] = "false",
            ["AppVersion"] = "4.5.6",
            ["AppBuildNumber"] = "456",
            ["OptOutTrackingByDefault"] = "true",
            ["ApiSecret"] = "secret-1",
            ["ServiceAccountUsername"] = "importer.sa",
            ["ServiceAccountSecret"] = "sa-secret",
            ["ProjectId"] = "4242",
            ["FlagsEvaluation"] = "Remote",
            ["FlagsPollingInterval"] = "00:02:00",
            ["FlagsDeduplicateExposures"] = "false",
            ["FlagsCacheTimeToLive"] = "12:00:00",
        };
        var settable = typeof(MixpanelOptions)
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(static p => p.SetMethod is { IsPublic: true } && !typeof(Delegate).IsAssignableFrom(p.PropertyType))
            .ToList();
        values.Keys.Should().BeEquivalentTo(settable.Select(static p => p.Name), "every publicly settable option is configured");

        var options = Bind(values);

        var defaults = new MixpanelOptions();
        foreach (var property in settable)
        {
            property.GetValue(options).Should().NotBe(property.GetValue(defaults), $"{property.Name} is read from configuration");
        }

        options.ProjectToken.Should().Be("token-1", "white space around a pasted token is dropped");
        options.ApiHost.Should().Be(MixpanelApiHosts.EuropeanUnion);
        options.IdMerge.Should().Be(IdMergeApi.Simplified);
        options.StorageDirectory.Should().Be("/var/lib/app/mixpanel");
        options.Storage.Should().Be(StorageMode.Memory);
        options.BatchSize.Should().Be(25);
        options.FlushInterval.Should().Be(TimeSpan.FromSeconds(30));
        options.MaxQueueSize.Should().Be(5000);
        options.MaxQueueBytes.Should().Be(1_048_576);
        options.TrackMemoryBudgetBytes.Should().Be(131_072);
        options.PersistInterval.Should().Be(TimeSpan.FromMilliseconds(250));
        options.ShutdownTimeout.Should().Be(TimeSpan.FromSeconds(2));
        options.RequestTimeout.Should().Be(TimeSpan.FromMinutes(1));
        options.FlushTimeout.Should().Be(TimeSpan.FromSeconds(45));
        options.UseGzip.Should().BeFalse();
        options.UseIpAddressForGeolocation.Should().BeFalse();
        options.SendDefaultProperties.Should().BeFalse();
        options.AppVersion.Should().Be("4.5.6");
        options.AppBuildNumber.Should().Be("456");
        options.OptOutTrackingByDefault.Should().BeTrue();
        options.ApiSecret.Should().Be("secret-1");
        options.ServiceAccountUsername.Should().Be("importer.sa");
        options.ServiceAccountSecret.Should().Be("sa-secret");
        options.ProjectId.Should().Be("4242");
        options.FlagsEvaluation.Should().Be(MixpanelFlagsEvaluation.Remote);
        options.FlagsPollingInterval.Should().Be(TimeSpan.FromMinutes(2));
        options.FlagsDeduplicateExposures.Should().BeFalse();
        options.FlagsCacheTimeToLive.Should().Be(TimeSpan.FromHours(12));
    }

    [Fact]
    public void AddMixpanel_OnlyProjectToken_KeepsEveryDefault()
    {
        var options = Bind(new() { ["ProjectToken"] = "token-1" });

        options.Should().BeEquivalentTo(new MixpanelOptions { ProjectToken = "token-1" });
    }

    [Fact]
    public void AddMixpanel_EmptyValues_KeepDefaults()
    {
        // JSON null and an empty environment variable both reach configuration as an empty string.
        var options = Bind(new() { ["ProjectToken"] = "token-1", ["StorageDirectory"] = "", ["BatchSize"] = "", ["ApiHost"] = " " });

        options.StorageDirectory.Should().BeNull();
        options.BatchSize.Should().Be(50);
        options.ApiHost.Should().Be(MixpanelApiHosts.UnitedStates);
    }

    [Theory]
    [InlineData("US", "https://api.mixpanel.com/")]
    [InlineData("eu", "https://api-eu.mixpanel.com/")]
    [InlineData("India", "https://api-in.mixpanel.com/")]
    [InlineData("https://mixpanel-proxy.example.com/mp/", "https://mixpanel-proxy.example.com/mp/")]
    public void AddMixpanel_ApiHost_AcceptsRegionOrUri(string value, string expected)
    {
        var options = Bind(new() { ["ProjectToken"] = "token-1", ["ApiHost"] = value });

        options.ApiHost.Should().Be(new Uri(expected));
    }

    [Theory]
    [InlineData("IdMerge", "original", nameof(MixpanelOptions.IdMerge), IdMergeApi.Original)]
    [InlineData("Storage", "DISK", nameof(MixpanelOptions.Storage), StorageMode.Disk)]
    public void AddMixpanel_EnumNames_IgnoreCase(string key, string value, string property, object expected)
    {
        var options = Bind(new() { ["ProjectToken"] = "token-1", ["IdMerge"] = "Simplified", ["Storage"] = "Memory", [key] = value });

        typeof(MixpanelOptions).GetProperty(property)!.GetValue(options).Should().Be(expected);
    }

    [Fact]
    public void AddMixpanel_KeysInAnyCase_AreRead()
    {
        var options = Bind(new() { ["projecttoken"] = "token-1", ["BATCHSIZE"] = "7" });

        options.ProjectToken.Should().Be("token-1");
        options.BatchSize.Should().Be(7);
    }

    [Theory]
    [InlineData("ApiHost", "mars", "neither a region (US, EU, IN) nor an absolute URI")]
    [InlineData("IdMerge", "Merged", "not Original or Simplified")]
    [InlineData("IdMerge", "1", "not Original or Simplified")]
    [InlineData("Storage", "Cloud", "not Disk or Memory")]
    [InlineData("BatchSize", "many", "not a whole number")]
    [InlineData("BatchSize", "2.5", "not a whole number")]
    [InlineData("MaxQueueSize", "1e5", "not a whole number")]
    [InlineData("MaxQueueBytes", "64MiB", "not a whole number")]
    [InlineData("FlushInterval", "10", "not a time span")]
    [InlineData("FlushInterval", "10s", "not a time span")]
    [InlineData("PersistInterval", "soon", "not a time span")]
    [InlineData("ShutdownTimeout", "00:00:99", "not a time span")]
    [InlineData("RequestTimeout", "30 seconds", "not a time span")]
    [InlineData("UseGzip", "yes", "not true or false")]
    [InlineData("UseIpAddressForGeolocation", "1", "not true or false")]
    public void GetOptions_UnreadableValue_FailsNamingTheKey(string key, string value, string problem)
    {
        var provider = CreateProvider(new() { ["ProjectToken"] = "token-1", [key] = value });

        var failure = provider.Invoking(p => p.GetRequiredService<IOptions<MixpanelOptions>>().Value)
            .Should().Throw<OptionsValidationException>().Which;

        failure.Failures.Should().ContainSingle().Which.Should()
            .Be($"The configuration value {Section}:{key} ('{value}') is {problem}" + Rest(problem));
    }

    [Fact]
    public void GetOptions_SeveralProblems_ReportsEveryOne()
    {
        var provider = CreateProvider(new() { ["BatchSize"] = "0", ["FlushInterval"] = "later" });

        var failure = provider.Invoking(p => p.GetRequiredService<IOptions<MixpanelOptions>>().Value)
            .Should().Throw<OptionsValidationException>().Which;

        failure.Failures.Should().HaveCount(3);
        failure.Failures.Should().Contain(f => f.StartsWith("MixpanelOptions.ProjectToken is required", StringComparison.Ordinal));
        failure.Failures.Should().Contain(f => f.StartsWith("MixpanelOptions.BatchSize must be between 1 and 2000", StringComparison.Ordinal));
        failure.Failures.Should().Contain(f => f.StartsWith("The configuration value Mixpanel:FlushInterval ('later')", StringComparison.Ordinal));
    }

    [Fact]
    public void GetOptions_RootConfiguration_NamesKeyWithoutSection()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ProjectToken"] = "token-1", ["UseGzip"] = "nope" })
            .Build();
        using var provider = new ServiceCollection().AddMixpanel(configuration).BuildServiceProvider();

        var failure = provider.Invoking(p => p.GetRequiredService<IOptions<MixpanelOptions>>().Value)
            .Should().Throw<OptionsValidationException>().Which;

        failure.Failures.Should().ContainSingle().Which.Should().StartWith("The configuration value UseGzip ('nope')");
    }

    private static string Rest(string problem) => problem switch
    {
        "neither a region (US, EU, IN) nor an absolute URI" => " such as https://api.mixpanel.com/.",
        "not a time span" => " in the form hours:minutes:seconds, such as 00:00:10 for ten seconds.",
        _ => ".",
    };

    private static MixpanelOptions Bind(Dictionary<string, string?> values)
    {
        using var provider = CreateProvider(values);
        return provider.GetRequiredService<IOptions<MixpanelOptions>>().Value;
    }

    private static ServiceProvider CreateProvider(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(static pair => new KeyValuePair<string, string?>($"{Section}:{pair.Key}", pair.Value)))
            .Build();
        return new ServiceCollection().AddMixpanel(configuration.GetSection(Section)).BuildServiceProvider();
    }
}
