using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Mixpanel.Identity.AspNetCore.Diagnostics;
using Mixpanel.Identity.AspNetCore.PageViews;

namespace Mixpanel.Identity.AspNetCore.Requests;

/// <summary>
/// Establishes each request's visitor before the app runs, and tracks the page view of an endpoint marked with
/// <c>TrackPageView()</c> once it has answered successfully. Nothing of Mixpanel's fails the app's request.
/// </summary>
internal sealed class MixpanelMiddleware(RequestTracking tracking)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var tracker = context.RequestServices.GetRequiredService<MixpanelRequestTracker>();
        tracker.Begin(context, Start(context));

        await next(context).ConfigureAwait(false);

        if (context.Response.StatusCode is >= 200 and < 300 && context.GetEndpoint()?.Metadata.GetMetadata<PageViewMetadata>() is not null)
        {
            tracker.Track(tracking.Options.PageViewEventName, PageViewProperties.Of(context.Request));
        }
    }

    private RequestVisitor Start(HttpContext context)
    {
        try
        {
            return RequestVisitor.Read(context, tracking);
        }
#pragma warning disable CA1031 // Reading the request runs the app's principal and claims; whatever they throw, the app's request goes on.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            // An id for this request only: the visitor's cookies, unread, are left as they are.
            Log.VisitorUnreadable(tracking.Logger, exception);
            // Given as the server's own id too, so that no cookie is written for it.
            var deviceId = RequestVisitor.NewDeviceId();
            return new RequestVisitor(deviceId, UserId: null, IsNewDevice: false, BrowserLibraryDeviceId: null) { ServerDeviceId = deviceId };
        }
    }
}
