using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mixpanel.Identity;
using Mixpanel.Identity.AspNetCore;
using Mixpanel.Identity.AspNetCore.DependencyInjection;
using Mixpanel.Identity.AspNetCore.Requests;
using Mixpanel.Identity.DependencyInjection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Mixpanel's server-side tracking for an ASP.NET Core app.</summary>
public static class MixpanelServerServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="MixpanelServerClient"/> as a singleton, also as <see cref="IMixpanelServerClient"/> (flushed
    /// when the application stops, within <see cref="MixpanelOptions.ShutdownTimeout"/>, and disposed by the container),
    /// options validated at start-up, and
    /// <see cref="IMixpanelRequestTracker"/> for each request; add <c>app.UseMixpanel()</c> to the pipeline. The client
    /// sends with the <see cref="HttpClient"/> named <see cref="MixpanelServiceCollectionExtensions.HttpClientName"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the client's options; <see cref="MixpanelOptions.ProjectToken"/> is required.</param>
    /// <param name="configureWeb">Sets the options of the requests' tracking; null keeps their defaults.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    public static IServiceCollection AddMixpanelServer(this IServiceCollection services, Action<MixpanelOptions> configure, Action<MixpanelWebOptions>? configureWeb = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddServer(services);
        services.Configure(configure);
        if (configureWeb is not null)
        {
            services.Configure(configureWeb);
        }

        return services;
    }

    /// <summary>
    /// Registers what <see cref="AddMixpanelServer(IServiceCollection, Action{MixpanelOptions}, Action{MixpanelWebOptions}?)"/>
    /// does, with both the client's and the web options read from one configuration section such as
    /// <c>builder.Configuration.GetSection("Mixpanel")</c>, keys named as the options' properties (<c>ProjectToken</c>,
    /// <c>ApiHost</c>, <c>CookieName</c>, <c>TrackCrawlers</c>…). A value that cannot be read fails start-up with a
    /// message naming its key.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding the options.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IServiceCollection AddMixpanelServer(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        AddServer(services);
        MixpanelServiceCollectionExtensions.BindOptions(services, configuration);
        ConfigurationBinding<MixpanelWebOptions>.Register(services, configuration, MixpanelWebConfigurationBinding.Bind);
        return services;
    }

    private static void AddServer(IServiceCollection services)
    {
        MixpanelServiceCollectionExtensions.AddDelivery(services);
        services.AddOptions<MixpanelWebOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MixpanelWebOptions>>(new OptionsValidator<MixpanelWebOptions>(static options => options.Validate())));

        // One client for every visitor of the app; the container disposes it on shutdown, after the flush on stop.
        services.TryAddSingleton(CreateClient);
        services.TryAddSingleton<IMixpanelServerClient>(static provider => provider.GetRequiredService<MixpanelServerClient>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MixpanelStopFlush<MixpanelServerClient>>());
        services.TryAddSingleton<RequestTracking>();
        services.TryAddScoped<MixpanelRequestTracker>();
        services.TryAddScoped<IMixpanelRequestTracker>(static provider => provider.GetRequiredService<MixpanelRequestTracker>().Share());
    }

    private static MixpanelServerClient CreateClient(IServiceProvider provider) =>
        new(
            provider.GetRequiredService<IOptions<MixpanelOptions>>().Value,
            MixpanelServiceCollectionExtensions.CreateHttpClient(provider),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetService<ILoggerFactory>());
}
