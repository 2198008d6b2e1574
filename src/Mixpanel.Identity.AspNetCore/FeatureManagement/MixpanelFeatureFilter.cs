using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.FeatureManagement;

namespace Mixpanel.Identity.AspNetCore.FeatureManagement;

/// <summary>
/// The feature filter <c>"Mixpanel"</c>: on when the request visitor's Mixpanel variant of the flag holds the boolean
/// <c>true</c>, as <see cref="MixpanelFlags.IsEnabled"/> decides. The flag is the feature's name, or the filter's
/// <c>Flag</c> parameter when a feature declared in configuration names another.
/// </summary>
[FilterAlias(Alias)]
internal sealed class MixpanelFeatureFilter(IHttpContextAccessor accessor) : IFeatureFilter
{
    public const string Alias = "Mixpanel";

    public const string FlagParameter = "Flag";

    public async Task<bool> EvaluateAsync(FeatureFilterEvaluationContext context)
    {
        if (accessor.HttpContext is not { } http || RequestFlags.Of(accessor) is not { } flags)
        {
            return false;
        }

        var flagKey = context.Parameters?[FlagParameter] is { Length: > 0 } named ? named : context.FeatureName;
        var variant = await flags.GetAsync(flagKey, http).ConfigureAwait(false);
        return variant.Value.ValueKind == JsonValueKind.True;
    }
}
