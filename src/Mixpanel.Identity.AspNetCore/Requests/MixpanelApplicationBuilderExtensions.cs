using Microsoft.Extensions.DependencyInjection;
using Mixpanel.Identity.AspNetCore;
using Mixpanel.Identity.AspNetCore.Requests;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds Mixpanel's request tracking to an app's pipeline.</summary>
public static class MixpanelApplicationBuilderExtensions
{
    /// <summary>
    /// Establishes the Mixpanel visitor of every request that passes this point, for <see cref="IMixpanelRequestTracker"/>,
    /// and tracks the page views of endpoints marked with <c>TrackPageView()</c>. Put it after <c>UseForwardedHeaders</c>
    /// (so that the client's address and scheme are known), <c>UseStaticFiles</c> (files are not visits) and
    /// <c>UseAuthentication</c> (so that the signed-in user is known), and before the endpoints.
    /// </summary>
    /// <param name="app">The app's pipeline.</param>
    /// <returns>The pipeline.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="app"/> is null.</exception>
    /// <exception cref="InvalidOperationException"><c>services.AddMixpanelServer(...)</c> was not called.</exception>
    public static IApplicationBuilder UseMixpanel(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var tracking = app.ApplicationServices.GetService<RequestTracking>()
            ?? throw new InvalidOperationException("Mixpanel's services are not registered: call services.AddMixpanelServer(...) before app.UseMixpanel().");
        return app.Use(new MixpanelMiddleware(tracking).InvokeAsync);
    }
}
