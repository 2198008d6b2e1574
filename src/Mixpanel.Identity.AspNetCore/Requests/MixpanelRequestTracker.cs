using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.AspNetCore.Attribution;
using Mixpanel.Identity.AspNetCore.Cookies;
using Mixpanel.Identity.AspNetCore.Diagnostics;

namespace Mixpanel.Identity.AspNetCore.Requests;

/// <summary>The request's tracker: one per request scope, begun by the middleware, the only owner of the request's visitor.</summary>
internal sealed class MixpanelRequestTracker(RequestTracking tracking) : IMixpanelRequestTracker
{
    // Work the app starts from a handler may outlive the request and still hold this tracker, while Kestrel reuses the
    // request's HttpContext for the next request on the connection: the context is read only under this lock, and
    // forgotten (the visitor described first, if the app took the tracker) when the request completes.
    private readonly object _gate = new();
    private HttpContext? _context;
    private RequestVisitor? _start;
    private bool _completed;

    // Whether the app took the tracker (IMixpanelRequestTracker), not only the middleware: only then can it be used
    // after the request, and only then is the visitor described at the end of a request that tracked nothing.
    private bool _shared;

    // Described at the first call that needs it; then changed only by Identify and Reset.
    private MixpanelVisitor? _visitor;
    private string? _crawler;

    // The id the browser library's cookie is set to when the response starts, so that the page's library adopts it: a
    // new visitor's, or the one a Reset moves to. Null: the cookie is left as the browser has it.
    private string? _browserCookieDeviceId;

    // A Reset retires the anonymous id in the browser library's cookie, in a cookie of its own, so that it is not
    // continued if the page writes its old state back.
    private bool _retire;

    // The first touch of the new anonymous visitor a Reset makes, for the library's cookie.
    private string? _resetReferrer;
    private string? _resetReferringDomain;

    public MixpanelVisitor Visitor
    {
        get
        {
            lock (_gate)
            {
                return VisitorLocked();
            }
        }
    }

    public MixpanelPeople People => tracking.Client.People(Visitor);

    /// <summary>Starts tracking <paramref name="context"/> for <paramref name="start"/>'s visitor.</summary>
    public void Begin(HttpContext context, RequestVisitor start)
    {
        _context = context;
        _start = start;
        _browserCookieDeviceId = start.IsNewDevice ? start.DeviceId : null;
        context.Response.OnStarting(static state => ((MixpanelRequestTracker)state).WriteCookies(), this);
        context.Response.OnCompleted(static state => ((MixpanelRequestTracker)state).Complete(), this);
    }

    /// <summary>The app has taken this tracker for its own code.</summary>
    public MixpanelRequestTracker Share()
    {
        _shared = true;
        return this;
    }

    public void Track(string eventName, IReadOnlyDictionary<string, object?>? properties = null)
    {
        var visitor = Visitor;
        if (IsUntrackedCrawler(visitor))
        {
            SkipCrawlerEvent(visitor, eventName, properties);
            return;
        }

        tracking.Client.Track(visitor, eventName, properties);
    }

    /// <summary>Whether <paramref name="visitor"/> is a crawler whose events are not tracked (<see cref="MixpanelWebOptions.TrackCrawlers"/>).</summary>
    internal bool IsUntrackedCrawler(MixpanelVisitor visitor) =>
        _crawler is not null && visitor.UserId is null && !tracking.Options.TrackCrawlers;

    /// <summary>A crawler's event, not tracked: counted as skipped, and logged with the crawler's name.</summary>
    internal void SkipCrawlerEvent(MixpanelVisitor visitor, string eventName, IReadOnlyDictionary<string, object?>? properties)
    {
        tracking.Client.Skip(visitor, eventName, properties, DropReason.Crawler);
        tracking.CrawlerSkips.Skipped(_crawler!);
    }

    public void Identify(string userId)
    {
        lock (_gate)
        {
            _visitor = tracking.Client.Identify(VisitorLocked(), userId);
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            var visitor = VisitorLocked();
            var start = _start!;

            // The browser's library already moved to a new id of its own (its reset() in the click handler): the server
            // goes on with it, so that both end on one id. Otherwise a new one, which the library adopts from its cookie.
            var next = start.BrowserResetDeviceId ?? RequestVisitor.NewDeviceId();
            _visitor = visitor.AsNewDevice(next);
            if (_context is { } context)
            {
                // The new visitor's first touch is this request's referrer: the page the next one is reached from, which
                // the library records as its initial referrer when it starts there.
                var properties = new Dictionary<string, object?>(visitor.Properties ?? new Dictionary<string, object?>(), StringComparer.Ordinal);
                var page = PageAttribution.FromRequest(context.Request);
                _resetReferrer = page.Referrer ?? PageAttribution.Direct;
                _resetReferringDomain = page.ReferringDomain ?? PageAttribution.Direct;
                properties[MixpanelCookie.InitialReferrer] = _resetReferrer;
                properties[MixpanelCookie.InitialReferringDomain] = _resetReferringDomain;
                _visitor = new MixpanelVisitor(next) { IpAddress = visitor.IpAddress, Properties = properties };
            }

            _retire = start.BrowserLibraryDeviceId is { } old && old != next;
            _browserCookieDeviceId = next == start.BrowserLibraryDeviceId ? null : next;
            if (_completed)
            {
                Log.ResetAfterRequestCompleted(tracking.Logger);
            }
            else if (_context!.Response.HasStarted)
            {
                Log.ResetAfterResponseStarted(tracking.Logger);
            }
        }
    }

    public MixpanelGroup GetGroup(string groupKey, object groupId) => tracking.Client.GetGroup(groupKey, groupId);

    private static InvalidOperationException NotBegun() =>
        new("This request did not pass through Mixpanel's middleware: call app.UseMixpanel() before the endpoints that track.");

    private MixpanelVisitor VisitorLocked()
    {
        if (_visitor is not null)
        {
            return _visitor;
        }

        var start = _start ?? throw NotBegun();
        if (_context is not { } context)
        {
            // Not described while the request was alive, and its context may now be another request's.
            throw new InvalidOperationException(
                "The request has completed and its visitor was never described: take IMixpanelRequestTracker from the request's services, or read its Visitor while the request is alive, and pass the visitor to MixpanelServerClient in work that outlives the request.");
        }

        _visitor = start.Describe(context, out _crawler);
        return _visitor;
    }

    private Task Complete()
    {
        lock (_gate)
        {
            if (_shared && _visitor is null && _start is not null)
            {
                // The app holds the tracker and may track after the response: the request is described while it is alive.
                _visitor = _start.Describe(_context!, out _crawler);
            }

            _completed = true;
            _context = null;
        }

        return Task.CompletedTask;
    }

    private Task WriteCookies()
    {
        lock (_gate)
        {
            if (_context is { } context && _start is { } start)
            {
                var deviceId = _visitor?.DeviceId ?? start.DeviceId;
                var request = context.Request;
                var lifetime = tracking.Options.CookieLifetime;
                var expires = tracking.Time.GetUtcNow() + lifetime;
                if (deviceId != start.ServerDeviceId)
                {
                    // The id alone: a request that tracked nothing is not described for its cookie.
                    var server = new CookieOptions
                    {
                        HttpOnly = true,
                        Secure = request.IsHttps || !RequestHost.IsLoopback(RequestHost.NameOf(request)),
                        SameSite = SameSiteMode.Lax,
                        Path = "/",
                        Expires = expires,
                        MaxAge = lifetime,
                    };
                    context.Response.Cookies.Append(tracking.Options.CookieName, deviceId, server);
                    if (_retire)
                    {
                        context.Response.Cookies.Append(tracking.RetiredCookieName, start.BrowserLibraryDeviceId!, server);
                    }
                }

                if (_browserCookieDeviceId is { } browserDeviceId)
                {
                    // As the library writes its own cookie: readable by the page, for the path /, and for the whole site
                    // when the library's cross_subdomain_cookie is on. A new visitor's first touch goes with it.
                    var first = start.IsNewDevice && browserDeviceId == start.DeviceId;
                    var (referrer, referringDomain) = first ? (start.InitialReferrer, start.InitialReferringDomain) : (_resetReferrer, _resetReferringDomain);
                    var browser = new CookieOptions
                    {
                        HttpOnly = false,
                        Secure = request.IsHttps,
                        SameSite = SameSiteMode.Lax,
                        Path = "/",
                        Domain = tracking.Options.BrowserCookieCrossSubdomain ? BrowserCookie.CrossSubdomainDomain(RequestHost.NameOf(request)) : null,
                        Expires = expires,
                        MaxAge = lifetime,
                    };
                    var value = BrowserCookie.Value(browserDeviceId, referrer, referringDomain);
                    context.Response.Cookies.Append(tracking.BrowserCookieName, value, browser);
                }
            }
        }

        return Task.CompletedTask;
    }
}
