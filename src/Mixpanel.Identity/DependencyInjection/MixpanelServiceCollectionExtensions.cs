using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mixpanel.Identity;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.DependencyInjection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Mixpanel client with a service collection.</summary>
public static class MixpanelServiceCollectionExtensions
{
    /// <summary>
    /// The name of the <see cref="HttpClient"/> the client sends with, from <see cref="IHttpClientFactory"/>. Add
    /// handlers to it with <c>services.AddHttpClient(MixpanelServiceCollectionExtensions.HttpClientName)</c>.
    /// </summary>
    public const string HttpClientName = "Mixpanel.Identity";

    /// <summary>
    /// Registers <see cref="MixpanelClient"/> (also as <see cref="IMixpanelClient"/>) as a singleton, with options
    /// validated at start-up, an <see cref="HttpClient"/> from <see cref="IHttpClientFactory"/>, and a flush within
    /// <see cref="MixpanelOptions.ShutdownTimeout"/> when the application stops.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; <see cref="MixpanelOptions.ProjectToken"/> is required.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IServiceCollection AddMixpanel(this IServiceCollection services, Action<MixpanelOptions> configure)
    {
        Guard.NotNull(services);
        Guard.NotNull(configure);
        AddClient(services);
        services.Configure(configure);
        return services;
    }

    /// <summary>
    /// Registers <see cref="MixpanelClient"/> as <see cref="AddMixpanel(IServiceCollection, Action{MixpanelOptions})"/>
    /// does, with the options read from a configuration section such as <c>builder.Configuration.GetSection("Mixpanel")</c>.
    /// Keys are the option names (<c>ProjectToken</c>, <c>ApiHost</c>, <c>BatchSize</c>…); <c>ApiHost</c> is a region
    /// (<c>US</c>, <c>EU</c>, <c>IN</c>) or a URI; time spans are written <c>00:00:10</c>. A value that cannot be read
    /// fails start-up with a message naming its key.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding the options.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IServiceCollection AddMixpanel(this IServiceCollection services, IConfiguration configuration)
    {
        Guard.NotNull(services);
        Guard.NotNull(configuration);
        AddClient(services);
        BindOptions(services, configuration);
        return services;
    }

    /// <summary>Reads <see cref="MixpanelOptions"/> from <paramref name="configuration"/> key by key; a value it cannot read fails start-up.</summary>
    internal static void BindOptions(IServiceCollection services, IConfiguration configuration)
    {
        ConfigurationBinding<MixpanelOptions>.Register(services, configuration, MixpanelConfigurationBinding.Bind);
    }

    /// <summary>What every client registered in a container needs: options validated at start-up, the clock, and the named <see cref="HttpClient"/>.</summary>
    internal static void AddDelivery(IServiceCollection services)
    {
        services.AddOptions<MixpanelOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MixpanelOptions>>(new OptionsValidator<MixpanelOptions>(static options => options.Validate())));
        services.TryAddSingleton(TimeProvider.System);

        // The client is a singleton that holds one HttpClient for the life of the process, so the factory's handler
        // rotation would never reach it: the handler lives as long as the client, and connections are recycled
        // inside it instead, so that a change in Mixpanel's DNS is picked up. The client applies
        // MixpanelOptions.RequestTimeout to each attempt itself; HttpClient's own 100-second timeout would cut a
        // longer one short. The factory's own request logging is removed: it would log every send at Information, and
        // the client logs what matters itself. An app that wants it back adds AddDefaultLogger() to this client.
        services.AddHttpClient(HttpClientName)
            .RemoveAllLoggers()
            .ConfigureHttpClient(static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(HttpSender.CreateHandler)
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
    }

    /// <summary>The <see cref="HttpClient"/> a client made by the container sends with.</summary>
    internal static HttpClient CreateHttpClient(IServiceProvider provider) =>
        provider.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);

    private static void AddClient(IServiceCollection services)
    {
        AddDelivery(services);

        // One client per process: it owns the identity and queue files in its storage directory, and a second client
        // on the same directory throws. The container disposes it on shutdown, after the flush on stop.
        services.TryAddSingleton(CreateClient);
        services.TryAddSingleton<IMixpanelClient>(static provider => provider.GetRequiredService<MixpanelClient>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MixpanelStopFlush<MixpanelClient>>());
    }

    private static MixpanelClient CreateClient(IServiceProvider provider) =>
        new(
            provider.GetRequiredService<IOptions<MixpanelOptions>>().Value,
            CreateHttpClient(provider),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetService<ILoggerFactory>());
}
