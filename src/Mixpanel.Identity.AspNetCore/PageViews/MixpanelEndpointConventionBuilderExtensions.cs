using Mixpanel.Identity.AspNetCore;
using Mixpanel.Identity.AspNetCore.PageViews;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Marks endpoints whose responses Mixpanel tracks as page views.</summary>
public static class MixpanelEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Tracks one page view (<see cref="MixpanelWebOptions.PageViewEventName"/>) for each successful (2xx) response of
    /// these endpoints, with the page's domain, path, protocol and query as properties beside the request's URL,
    /// referrer, campaign, browser and client address. Works on minimal API endpoints, <c>MapControllers()</c> and
    /// <c>MapRazorPages()</c>; needs <c>app.UseMixpanel()</c>. A page that also runs Mixpanel's browser library with
    /// <c>track_pageview</c> is counted by the browser already: mark only the pages it does not count.
    /// </summary>
    /// <typeparam name="TBuilder">The kind of endpoint builder.</typeparam>
    /// <param name="builder">The endpoints.</param>
    /// <returns>The endpoints.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static TBuilder TrackPageView<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(static endpoint => endpoint.Metadata.Add(PageViewMetadata.Instance));
        return builder;
    }
}
