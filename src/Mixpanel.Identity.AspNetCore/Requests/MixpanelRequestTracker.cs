using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.AspNetCore.Diagnostics;

namespace Mixpanel.Identity.AspNetCore.Requests;

/// <summary>The request's tracker: one per request scope, begun by the middleware, the only owner of the request's visitor.</summary>
internal sealed class MixpanelRequestTracker(RequestTracking tracking) : IMixpanelRequestTracker
{
    private HttpContext? _context;
    private RequestVisitor? _start;

    // Described at the first call that needs it; then changed only by Identify and Reset.
    private MixpanelVisitor? _visitor;
    private string? _crawler;

    // Whether the visitor's anonymous id was made during this request, by the server: it goes into the cookie when
    // the response starts.
    private bool _cookieDue;

    // A Reset retires the anonymous id in the browser library's cookie, in a cookie of its own beside the new id, so
    // that it is not continued until the page's library resets too.
    private bool _retire;

    public MixpanelVisitor Visitor => _visitor ??= (_start ?? throw NotBegun()).Describe(_context!, out _crawler);

    public MixpanelPeople People => tracking.Client.People(Visitor);

    /// <summary>Starts tracking <paramref name="context"/> for <paramref name="start"/>'s visitor.</summary>
    public void Begin(HttpContext context, RequestVisitor start)
    {
        _context = context;
        _start = start;
        _cookieDue = start.IsNewDevice;
        context.Response.OnStarting(static state => ((MixpanelRequestTracker)state).WriteCookie(), this);
    }

    public void Track(string eventName, IReadOnlyDictionary<string, object?>? properties = null)
    {
        var visitor = Visitor;
        if (_crawler is not null && visitor.UserId is null && !tracking.Options.TrackCrawlers)
        {
            tracking.Client.Skip(visitor, eventName, properties, DropReason.Crawler);
            Log.CrawlerSkipped(tracking.Logger, _crawler);
            return;
        }

        tracking.Client.Track(visitor, eventName, properties);
    }

    public void Identify(string userId) => _visitor = tracking.Client.Identify(Visitor, userId);

    public void Reset()
    {
        var visitor = Visitor;
        _retire = _start!.BrowserLibraryDeviceId is not null;
        _visitor = visitor.AsNewDevice(RequestVisitor.NewDeviceId());
        _cookieDue = true;
        if (_context!.Response.HasStarted)
        {
            Log.ResetAfterResponseStarted(tracking.Logger);
        }
    }

    public MixpanelGroup GetGroup(string groupKey, object groupId) => tracking.Client.GetGroup(groupKey, groupId);

    private static InvalidOperationException NotBegun() =>
        new("This request did not pass through Mixpanel's middleware: call app.UseMixpanel() before the endpoints that track.");

    private Task WriteCookie()
    {
        if (_cookieDue && _context is { } context)
        {
            _cookieDue = false;
            var request = context.Request;
            var options = new CookieOptions
            {
                HttpOnly = true,
                Secure = request.IsHttps || !RequestHost.IsLoopback(RequestHost.NameOf(request)),
                SameSite = SameSiteMode.Lax,
                Path = "/",
                Expires = tracking.Time.GetUtcNow() + tracking.Options.CookieLifetime,
                MaxAge = tracking.Options.CookieLifetime,
            };
            // The id alone: a request that tracked nothing is not described for its cookie.
            context.Response.Cookies.Append(tracking.Options.CookieName, _visitor?.DeviceId ?? _start!.DeviceId, options);
            if (_retire)
            {
                context.Response.Cookies.Append(tracking.RetiredCookieName, _start!.BrowserLibraryDeviceId!, options);
            }
        }

        return Task.CompletedTask;
    }
}
