using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Users;
using Mixpanel.Identity.Tests.Fakes;
using RichardSzalay.MockHttp;
using Xunit;

namespace Mixpanel.Identity.Tests.DependencyInjection;

public sealed class AddMixpanelTests : IDisposable
{
    private const string Accepted = """{"status":1,"error":null}""";

    private readonly TempDirectory _directory = new();
    private readonly List<ServiceProvider> _providers = [];

    public void Dispose()
    {
        foreach (var provider in _providers)
        {
            provider.Dispose();
        }

        _directory.Dispose();
    }

    [Fact]
    public void GetService_AfterAddMixpanel_ReturnsOneClientForBothServiceTypes()
    {
        var provider = CreateSut();

        var client = provider.GetRequiredService<MixpanelClient>();

        provider.GetRequiredService<MixpanelClient>().Should().BeSameAs(client);
        provider.GetRequiredService<IMixpanelClient>().Should().BeSameAs(client);
        using var scope = provider.CreateScope();
        scope.ServiceProvider.GetRequiredService<IMixpanelClient>().Should().BeSameAs(client, "the client is a singleton, not scoped");
    }

    [Fact]
    public async Task GetService_AfterAddMixpanel_ClientUsesConfiguredOptions()
    {
        var provider = CreateSut(options => options.IdMerge = IdMergeApi.Simplified);

        var client = provider.GetRequiredService<MixpanelClient>();

        client.Invoking(c => c.Alias("user-1")).Should().Throw<NotSupportedException>("Alias exists only under Original ID Merge");

        // The identity is opened by the client's start, off the constructor's thread.
        await client.PersistAsync();
        File.Exists(Path.Combine(_directory.Path, IdentityStore.LockFileName)).Should().BeTrue("the client holds the configured directory");
    }

    [Fact]
    public async Task FlushAsync_ResolvedClient_SendsThroughTheFactoryHttpClient()
    {
        using var handler = new MockHttpMessageHandler();
        var track = handler.When(HttpMethod.Post, "https://api.mixpanel.com/track").Respond("application/json", Accepted);
        var provider = CreateSut(configureServices: services =>
            services.AddHttpClient(MixpanelServiceCollectionExtensions.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => handler));
        var client = provider.GetRequiredService<IMixpanelClient>();

        client.Track("Signed Up");
        await client.FlushAsync();

        handler.GetMatchCount(track).Should().Be(1);
        client.Diagnostics.Sent.Should().Be(1);
    }

    [Fact]
    public void CreateHandler_MixpanelHttpClient_RecyclesConnectionsAndIsNeverRotated()
    {
        var provider = CreateSut();

        var factoryOptions = provider.GetRequiredService<IOptionsMonitor<HttpClientFactoryOptions>>().Get(MixpanelServiceCollectionExtensions.HttpClientName);
        var handler = provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(MixpanelServiceCollectionExtensions.HttpClientName);
        var http = provider.GetRequiredService<IHttpClientFactory>().CreateClient(MixpanelServiceCollectionExtensions.HttpClientName);

        factoryOptions.HandlerLifetime.Should().Be(Timeout.InfiniteTimeSpan);
        PrimaryHandler(handler).Should().BeOfType<SocketsHttpHandler>()
            .Which.PooledConnectionLifetime.Should().Be(TimeSpan.FromMinutes(5));
        http.Timeout.Should().Be(Timeout.InfiniteTimeSpan, "the client applies RequestTimeout to each attempt itself");
    }

    [Fact]
    public void GetService_NoTimeProviderRegistered_UsesSystemClock()
    {
        var provider = CreateSut();

        provider.GetRequiredService<TimeProvider>().Should().BeSameAs(TimeProvider.System);
    }

    [Fact]
    public void GetService_TimeProviderRegisteredFirst_KeepsIt()
    {
        var time = new FakeTimeProvider();
        var provider = CreateSut(configureServices: services => services.AddSingleton<TimeProvider>(time), servicesFirst: true);

        provider.GetRequiredService<TimeProvider>().Should().BeSameAs(time);
    }

    [Fact]
    public void AddMixpanel_CalledTwice_RegistersOneClientAndOneStopFlush()
    {
        var services = new ServiceCollection();

        services.AddMixpanel(options => options.ProjectToken = ClientHarness.Token);
        services.AddMixpanel(options => options.StorageDirectory = _directory.Path);

        services.Count(d => d.ServiceType == typeof(MixpanelClient)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(IMixpanelClient)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(IHostedService)).Should().Be(1);
        var provider = Track(services.BuildServiceProvider());
        var options = provider.GetRequiredService<IOptions<MixpanelOptions>>().Value;
        options.ProjectToken.Should().Be(ClientHarness.Token, "both configure actions apply");
        options.StorageDirectory.Should().Be(_directory.Path);
    }

    [Fact]
    public void AddMixpanel_NullArguments_Throw()
    {
        var services = new ServiceCollection();

        FluentActions.Invoking(() => services.AddMixpanel((Action<MixpanelOptions>)null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => services.AddMixpanel((Microsoft.Extensions.Configuration.IConfiguration)null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => ((IServiceCollection)null!).AddMixpanel(_ => { })).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public async Task DisposeAsync_Container_DisposesTheClientAndReleasesItsStorage()
    {
        var provider = CreateSut();
        var first = provider.GetRequiredService<MixpanelClient>();
        var deviceId = first.DeviceId;

        await provider.DisposeAsync();
        var second = CreateSut().GetRequiredService<MixpanelClient>();

        second.DeviceId.Should().Be(deviceId, "the second container's client opens the identity the first one released");
    }

    [Fact]
    public void GetService_SecondContainerOnSameDirectory_Throws()
    {
        CreateSut().GetRequiredService<MixpanelClient>();
        var second = CreateSut();

        // This is why the client is a singleton: one client owns a storage directory at a time.
        second.Invoking(p => p.GetRequiredService<MixpanelClient>()).Should().Throw<InvalidOperationException>();
    }

    private static HttpMessageHandler PrimaryHandler(HttpMessageHandler handler)
    {
        while (handler is DelegatingHandler delegating)
        {
            handler = delegating.InnerHandler!;
        }

        return handler;
    }

    private ServiceProvider CreateSut(
        Action<MixpanelOptions>? configure = null,
        Action<IServiceCollection>? configureServices = null,
        bool servicesFirst = false)
    {
        var services = new ServiceCollection();
        if (servicesFirst)
        {
            configureServices?.Invoke(services);
        }

        services.AddMixpanel(options =>
        {
            options.ProjectToken = ClientHarness.Token;
            options.StorageDirectory = _directory.Path;
            options.ShutdownTimeout = TimeSpan.FromSeconds(1);
            configure?.Invoke(options);
        });
        if (!servicesFirst)
        {
            configureServices?.Invoke(services);
        }

        return Track(services.BuildServiceProvider());
    }

    private ServiceProvider Track(ServiceProvider provider)
    {
        _providers.Add(provider);
        return provider;
    }
}
