using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.AspNetCore.Requests;
using Mixpanel.Identity.Flags;

namespace Mixpanel.Identity.AspNetCore.FeatureManagement;

/// <summary>
/// The Mixpanel variants of one request, one per flag: the first question about a flag evaluates it for the request's
/// visitor (and reports the exposure); every later one, from a gate, a filter or a variant lookup, gets the same answer.
/// A scoped service: it lives and dies with the request.
/// </summary>
internal sealed class RequestFlags(RequestTracking tracking, MixpanelRequestTracker tracker, FeatureContextSettings settings)
{
    // Asked by the gate, the filter and the app's own code, possibly at once from work the request fans out.
    private readonly object _gate = new();
    private readonly Dictionary<string, Task<MixpanelFlagVariant>> _variants = new(StringComparer.Ordinal);

    /// <summary>The request's flags, or null outside a request (a background job has no visitor).</summary>
    public static RequestFlags? Of(IHttpContextAccessor accessor) =>
        accessor.HttpContext?.RequestServices.GetService(typeof(RequestFlags)) as RequestFlags;

    /// <summary>The visitor's variant of <paramref name="flagKey"/>, evaluated once for the request.</summary>
    public Task<MixpanelFlagVariant> GetAsync(string flagKey, HttpContext context)
    {
        lock (_gate)
        {
            if (!_variants.TryGetValue(flagKey, out var variant))
            {
                variant = EvaluateAsync(flagKey, context);
                _variants.Add(flagKey, variant);
            }

            return variant;
        }
    }

    private async Task<MixpanelFlagVariant> EvaluateAsync(string flagKey, HttpContext context)
    {
        var visitor = tracker.Visitor;
        var flagContext = MixpanelFlagContext.ForVisitor(visitor);
        settings.ConfigureContext?.Invoke(context, flagContext);

        // The exposure is the visitor's event like any other: a crawler's is skipped and counted, as its page views are.
        var crawler = tracker.IsUntrackedCrawler(visitor);
        var variant = await tracking.Client.Flags.GetVariantAsync(flagKey, flagContext, fallback: null, reportExposure: !crawler, context.RequestAborted).ConfigureAwait(false);
        if (crawler && variant.FallbackReason is null)
        {
            tracker.SkipCrawlerEvent(visitor, ExposureProperties.EventName, null);
        }

        return variant;
    }
}

/// <summary>What the app adds to each request's flag context (custom properties, groups).</summary>
internal sealed class FeatureContextSettings(Action<HttpContext, MixpanelFlagContext>? configureContext)
{
    public Action<HttpContext, MixpanelFlagContext>? ConfigureContext { get; } = configureContext;
}
