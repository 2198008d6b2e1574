using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.FeatureManagement;
using Mixpanel.Identity;
using Mixpanel.Identity.AspNetCore.FeatureManagement;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Answers <c>Microsoft.FeatureManagement</c>'s questions with Mixpanel's feature flags.</summary>
public static class MixpanelFeatureManagementServiceCollectionExtensions
{
    /// <summary>
    /// Adds <c>Microsoft.FeatureManagement</c> with Mixpanel's flags as its features, so that
    /// <see cref="IFeatureManager.IsEnabledAsync(string)"/>, <c>[FeatureGate("flag")]</c> and
    /// <see cref="IVariantFeatureManager.GetVariantAsync(string, CancellationToken)"/> answer with the variant
    /// <see cref="MixpanelServerClient.Flags"/> assigns to the request's visitor. A feature is on when the variant's
    /// value is <c>true</c>; the variant's <c>Name</c> is Mixpanel's variant key and its <c>Configuration</c> holds the
    /// variant's value. Each flag is evaluated once per request, and its exposure reported once per request, whoever
    /// asks. Call it after <c>AddMixpanelServer</c>; the requests must pass through <c>app.UseMixpanel()</c>.
    /// Features the app declares itself (in the configuration's <c>FeatureManagement</c> section, or through the
    /// definition provider registered before this call) keep their definitions and are asked first; the feature filter
    /// <c>"Mixpanel"</c> is also registered, for such features to follow a Mixpanel flag (its <c>Flag</c> parameter
    /// names the flag).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configureContext">
    /// Adds what the flags' runtime rules and group rollouts read to each request's context (custom properties such as
    /// the plan, group ids); the distinct id and device id are the visitor's already. Null adds nothing.
    /// </param>
    /// <returns>The feature management builder, to add filters of the app's own.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IFeatureManagementBuilder AddMixpanelFeatureManagement(this IServiceCollection services, Action<HttpContext, MixpanelFlagContext>? configureContext = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddHttpContextAccessor();
        services.TryAddSingleton(new FeatureContextSettings(configureContext));
        services.TryAddScoped<RequestFlags>();
        var builder = services.AddFeatureManagement();

        // One definition provider is asked for every feature: Mixpanel's takes the place of the one registered (by
        // default the configuration's "FeatureManagement" section), and asks it first, so that the app's own features
        // keep their definitions.
        var declared = services.LastOrDefault(static d => d.ServiceType == typeof(IFeatureDefinitionProvider));
        services.RemoveAll<IFeatureDefinitionProvider>();
        services.AddSingleton<IFeatureDefinitionProvider>(provider => new MixpanelFeatureDefinitionProvider(
            provider.GetRequiredService<IHttpContextAccessor>(),
            declared is null ? null : Create(provider, declared)));
        return builder.AddFeatureFilter<MixpanelFeatureFilter>();
    }

    // The configuration's provider needs IConfiguration, which a host always has and a bare service collection may
    // not: without it, the app declares no features of its own.
    private static IFeatureDefinitionProvider? Create(IServiceProvider provider, ServiceDescriptor declared)
    {
        try
        {
            return (IFeatureDefinitionProvider)(declared.ImplementationInstance
                ?? declared.ImplementationFactory?.Invoke(provider)
                ?? ActivatorUtilities.CreateInstance(provider, declared.ImplementationType!));
        }
        catch (InvalidOperationException) when (provider.GetService<IConfiguration>() is null)
        {
            return null;
        }
    }
}
