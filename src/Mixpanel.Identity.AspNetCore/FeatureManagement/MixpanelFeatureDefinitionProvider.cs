using Microsoft.AspNetCore.Http;
using Microsoft.FeatureManagement;

namespace Mixpanel.Identity.AspNetCore.FeatureManagement;

/// <summary>
/// Every Mixpanel flag as a feature of <c>Microsoft.FeatureManagement</c>, defined for the current request's visitor:
/// the variant Mixpanel assigns is the feature's only variant, allocated whether the feature is on or off, and the
/// <see cref="MixpanelFeatureFilter"/> decides whether it is on. A fallback (an unknown flag, no rollout matched,
/// Mixpanel unreachable) is a disabled feature without a variant. Outside a request there is no visitor and no feature.
/// </summary>
internal sealed class MixpanelFeatureDefinitionProvider(IHttpContextAccessor accessor, IFeatureDefinitionProvider? declared) : IFeatureDefinitionProvider
{
    private static readonly FeatureFilterConfiguration[] Filter = [new() { Name = MixpanelFeatureFilter.Alias }];

    public async Task<FeatureDefinition?> GetFeatureDefinitionAsync(string featureName)
    {
        // A feature the app declares itself is its own, whatever Mixpanel has of that name.
        if (declared is not null && await declared.GetFeatureDefinitionAsync(featureName).ConfigureAwait(false) is { } own)
        {
            return own;
        }

        if (accessor.HttpContext is not { } http || RequestFlags.Of(accessor) is not { } flags)
        {
            return null;
        }

        var variant = await flags.GetAsync(featureName, http).ConfigureAwait(false);
        if (variant.Source == MixpanelFlagSource.Fallback || variant.Key is not { } key)
        {
            return new FeatureDefinition { Name = featureName, Status = FeatureStatus.Disabled };
        }

        return new FeatureDefinition
        {
            Name = featureName,
            EnabledFor = Filter,
            Variants = [new VariantDefinition { Name = key, ConfigurationValue = VariantConfiguration.From(variant.Value) }],
            Allocation = new Allocation { DefaultWhenEnabled = key, DefaultWhenDisabled = key },
        };
    }

    // Listing every Mixpanel flag would evaluate each for the visitor, and report an exposure for each: only the app's
    // own features are listed.
    public async IAsyncEnumerable<FeatureDefinition> GetAllFeatureDefinitionsAsync()
    {
        if (declared is null)
        {
            yield break;
        }

        await foreach (var own in declared.GetAllFeatureDefinitionsAsync().ConfigureAwait(false))
        {
            yield return own;
        }
    }
}
