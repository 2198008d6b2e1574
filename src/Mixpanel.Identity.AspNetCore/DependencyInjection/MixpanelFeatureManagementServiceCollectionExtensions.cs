using Microsoft.AspNetCore.Http;
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
    /// The feature filter <c>"Mixpanel"</c> is also registered, for features declared elsewhere (its <c>Flag</c>
    /// parameter names the flag).
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

        // One definition provider is asked for every feature: Mixpanel's takes the place of the configuration's.
        services.RemoveAll<IFeatureDefinitionProvider>();
        services.AddSingleton<IFeatureDefinitionProvider, MixpanelFeatureDefinitionProvider>();
        return builder.AddFeatureFilter<MixpanelFeatureFilter>();
    }
}
