using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.DependencyInjection;

public sealed class HostStartTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task StartAsync_MissingProjectToken_FailsNamingTheSetting()
    {
        using var host = CreateSut(services => services.AddMixpanel(options => options.StorageDirectory = _directory.Path));

        var failure = await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<OptionsValidationException>();

        failure.Which.OptionsType.Should().Be<MixpanelOptions>();
        failure.Which.Failures.Should().ContainSingle()
            .Which.Should().Be("MixpanelOptions.ProjectToken is required: copy it from your Mixpanel project's settings.");
        Directory.EnumerateFileSystemEntries(_directory.Path).Should().BeEmpty("no client was started with invalid options");
    }

    [Fact]
    public async Task StartAsync_SeveralInvalidSettings_ReportsEachByName()
    {
        using var host = CreateSut(services => services.AddMixpanel(options =>
        {
            options.ProjectToken = ClientHarness.Token;
            options.StorageDirectory = _directory.Path;
            options.ApiHost = new Uri("http://api.mixpanel.com/");
            options.BatchSize = 5000;
            options.ShutdownTimeout = TimeSpan.FromSeconds(-1);
        }));

        var failure = await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<OptionsValidationException>();

        failure.Which.Failures.Should().SatisfyRespectively(
            apiHost => apiHost.Should().StartWith("MixpanelOptions.ApiHost must use https"),
            batchSize => batchSize.Should().StartWith("MixpanelOptions.BatchSize must be between 1 and 2000"),
            shutdown => shutdown.Should().StartWith("MixpanelOptions.ShutdownTimeout must be between 00:00:00 and 01:00:00"));
    }

    [Fact]
    public async Task StartAsync_UnreadableConfigurationValue_FailsNamingTheKey()
    {
        using var host = CreateSut(
            services => services.AddMixpanel(new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Mixpanel:ProjectToken"] = ClientHarness.Token,
                    ["Mixpanel:StorageDirectory"] = _directory.Path,
                    ["Mixpanel:FlushInterval"] = "5",
                })
                .Build()
                .GetSection("Mixpanel")));

        var failure = await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<OptionsValidationException>();

        failure.Which.Failures.Should().ContainSingle().Which.Should().StartWith("The configuration value Mixpanel:FlushInterval ('5') is not a time span");
    }

    [Fact]
    public async Task StartAsync_ValidOptions_StartsTheClientWithTheHost()
    {
        using var host = CreateSut(services => services.AddMixpanel(options =>
        {
            options.ProjectToken = ClientHarness.Token;
            options.StorageDirectory = _directory.Path;
            options.ShutdownTimeout = TimeSpan.FromSeconds(1);
        }));

        await host.StartAsync();

        // The client takes its storage directory at start-up, before anything asks for it.
        File.Exists(Path.Combine(_directory.Path, Mixpanel.Identity.Users.IdentityStore.FileName)).Should().BeTrue();
        await host.StopAsync();
    }

    [Fact]
    public async Task StartAsync_ClientThatFailsToStart_StartsTheHostAllTheSame()
    {
        using var host = CreateSut(services =>
        {
            services.AddSingleton<TimeProvider>(new TimerlessTimeProvider(TimeProvider.System));
            services.AddMixpanel(options =>
            {
                options.ProjectToken = ClientHarness.Token;
                options.StorageDirectory = _directory.Path;
                options.TrackAutomaticEvents = false;
                options.ShutdownTimeout = TimeSpan.FromSeconds(1);
            });
        });

        await host.StartAsync();

        var client = host.Services.GetRequiredService<MixpanelClient>();
        client.Track("Signed Up");
        client.Diagnostics.GetDropped(DropReason.StartFailed).Should().Be(1, "the client that failed to start drops what it is given, counted");

        // Not stopped: the host's stop sets its deadline with a timer, which this clock cannot make for anyone.
    }

    private static IHost CreateSut(Action<IServiceCollection> configureServices)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        configureServices(builder.Services);
        return builder.Build();
    }
}
