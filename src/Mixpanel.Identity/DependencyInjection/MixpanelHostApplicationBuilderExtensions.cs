using Microsoft.Extensions.DependencyInjection;
using Mixpanel.Identity;
using Mixpanel.Identity.Compatibility;

namespace Microsoft.Extensions.Hosting;

/// <summary>Registers the Mixpanel client with an application builder, its options read from configuration.</summary>
public static class MixpanelHostApplicationBuilderExtensions
{
    /// <summary>The configuration section the options are read from: <c>"Mixpanel"</c>.</summary>
    public const string ConfigurationSectionName = "Mixpanel";

    /// <summary>
    /// Registers <see cref="MixpanelClient"/> as
    /// <see cref="MixpanelServiceCollectionExtensions.AddMixpanel(IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration)"/>
    /// does, with the options read from the section <c>"Mixpanel"</c> of the builder's configuration (appsettings.json,
    /// environment variables such as <c>Mixpanel__ProjectToken</c>), then changed by <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="configure">Changes the options after they are read from configuration; null keeps them as read.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static IHostApplicationBuilder AddMixpanel(this IHostApplicationBuilder builder, Action<MixpanelOptions>? configure = null)
    {
        Guard.NotNull(builder);
        builder.Services.AddMixpanel(builder.Configuration.GetSection(ConfigurationSectionName));
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        return builder;
    }
}
