using Microsoft.Extensions.DependencyInjection;
using Mixpanel.Identity;
using Mixpanel.Identity.AspNetCore;

namespace Microsoft.Extensions.Hosting;

/// <summary>Registers Mixpanel's server-side tracking with an application builder, its options read from configuration.</summary>
public static class MixpanelServerHostApplicationBuilderExtensions
{
    /// <summary>
    /// Registers what <see cref="MixpanelServerServiceCollectionExtensions.AddMixpanelServer(IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration)"/>
    /// does, with the client's and the web options read from the section <c>"Mixpanel"</c>
    /// (<see cref="MixpanelHostApplicationBuilderExtensions.ConfigurationSectionName"/>) of the builder's configuration,
    /// then changed by <paramref name="configure"/> and <paramref name="configureWeb"/>. Add <c>app.UseMixpanel()</c> to the pipeline.
    /// </summary>
    /// <param name="builder">The application builder, such as a <c>WebApplicationBuilder</c>.</param>
    /// <param name="configure">Changes the client's options after they are read; null keeps them as read.</param>
    /// <param name="configureWeb">Changes the web options after they are read; null keeps them as read.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static IHostApplicationBuilder AddMixpanelServer(
        this IHostApplicationBuilder builder,
        Action<MixpanelOptions>? configure = null,
        Action<MixpanelWebOptions>? configureWeb = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMixpanelServer(builder.Configuration.GetSection(MixpanelHostApplicationBuilderExtensions.ConfigurationSectionName));
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        if (configureWeb is not null)
        {
            builder.Services.Configure(configureWeb);
        }

        return builder;
    }
}
