using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.AspNetCore.Attribution;
using Mixpanel.Identity.AspNetCore.Cookies;
using Mixpanel.Identity.AspNetCore.Diagnostics;
using Mixpanel.Identity.AspNetCore.Geolocation;
using Mixpanel.Identity.AspNetCore.UserAgents;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.AspNetCore.Requests;

/// <summary>
/// Who a request is from, as it arrives: their anonymous id and signed-in user, and what the two cookies said of the
/// browser — the browser library's anonymous id (continued or not: the one a logout retires), the id the server last
/// tracked the browser under, and the browser's own new id when its library has reset while the user is still signed
/// in (the one a logout adopts). What the request says of the page and the browser is read only when something is
/// tracked (<see cref="Describe"/>): most requests track nothing.
/// </summary>
internal sealed record RequestVisitor(string DeviceId, string? UserId, bool IsNewDevice, string? BrowserLibraryDeviceId)
{
    /// <summary>The id in the server's own cookie: the one the server last tracked this browser under.</summary>
    public string? ServerDeviceId { get; init; }

    /// <summary>
    /// The anonymous id the browser library moved to on its own (its <c>reset()</c>, in a logout's click handler) while
    /// the user is still signed in: not theirs, and the one the server's <c>Reset</c> continues.
    /// </summary>
    public string? BrowserResetDeviceId { get; init; }

    /// <summary>The visitor's first-touch referrer: from the library's cookie, or read from this request for a new visitor.</summary>
    public string? InitialReferrer { get; init; }

    /// <summary>The domain of <see cref="InitialReferrer"/>.</summary>
    public string? InitialReferringDomain { get; init; }

    /// <summary>
    /// Reads the visitor of <paramref name="context"/>. A request that is not signed in continues the browser library's
    /// anonymous <c>$device_id</c> (unless a logout retired it, or the library still names a user); a signed-in one
    /// continues it when the library names the same user, or is anonymous on the id the server tracked it under (the
    /// page has not run <c>identify</c> yet). Otherwise the server's own cookie; otherwise a new UUID. The user id comes
    /// only from the signed-in principal: the browser's cookie is written by the browser, so its user id is compared
    /// with, never taken as, the user.
    /// </summary>
    public static RequestVisitor Read(HttpContext context, RequestTracking tracking)
    {
        var options = tracking.Options;
        var userId = SignedInUserId(context.User, options.UserIdClaimType, tracking);
        var cookies = context.Request.Cookies;
        var browser = MixpanelCookie.Read(cookies, tracking.BrowserCookieName);
        var browserDeviceId = Usable(browser?.DeviceId);
        var serverDeviceId = Usable(cookies[options.CookieName]);
        var retired = cookies[tracking.RetiredCookieName];

        // The library's anonymous id, unless a logout on the server retired it.
        var anonymousBrowser = browserDeviceId is not null && browser!.UserId is null && browserDeviceId != retired ? browserDeviceId : null;
        string? continued, browserReset = null;
        if (userId is null)
        {
            continued = anonymousBrowser;
        }
        else if (browserDeviceId is not null && browser!.UserId == userId)
        {
            continued = browserDeviceId;
        }
        else if (anonymousBrowser is not null && (serverDeviceId is null || serverDeviceId == anonymousBrowser))
        {
            continued = anonymousBrowser;
        }
        else
        {
            // An anonymous library on another id than the user's: the page reset it, so the user is leaving.
            continued = null;
            browserReset = anonymousBrowser;
        }

        var deviceId = continued ?? serverDeviceId;
        var isNew = deviceId is null;
        // The library's first touch is the visitor's when its id is the one continued; after the page reset it, it is
        // no one's yet.
        var ownCookie = continued is not null && continued == browserDeviceId;
        string? initialReferrer = ownCookie ? browser!.InitialReferrer : null, initialReferringDomain = ownCookie ? browser!.InitialReferringDomain : null;
        if (isNew && initialReferrer is null)
        {
            // As the library records a new visitor's first touch: the referrer, or $direct for a typed-in visit.
            var page = PageAttribution.FromRequest(context.Request);
            initialReferrer = page.Referrer ?? PageAttribution.Direct;
            initialReferringDomain = page.ReferringDomain ?? PageAttribution.Direct;
        }

        return new RequestVisitor(deviceId ?? NewDeviceId(), userId, isNew, browserDeviceId)
        {
            ServerDeviceId = serverDeviceId,
            BrowserResetDeviceId = browserReset,
            InitialReferrer = initialReferrer,
            InitialReferringDomain = initialReferringDomain,
        };
    }

    /// <summary>
    /// The visitor with what the request of <paramref name="context"/> says of them: the browser, device and page properties, the
    /// first touch, and the client's address; <paramref name="crawler"/> is the crawler their user agent names, if any.
    /// </summary>
    public MixpanelVisitor Describe(HttpContext context, out string? crawler)
    {
        var agent = UserAgentParser.Parse(context.Request.Headers.UserAgent.Count > 0 ? context.Request.Headers.UserAgent[0] : null);
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
        agent.WriteTo(properties);
        PageAttribution.FromRequest(context.Request).WriteTo(properties);
        if (InitialReferrer is not null)
        {
            properties[MixpanelCookie.InitialReferrer] = InitialReferrer;
        }

        if (InitialReferringDomain is not null)
        {
            properties[MixpanelCookie.InitialReferringDomain] = InitialReferringDomain;
        }

        crawler = agent.IsCrawler ? agent.Browser : null;
        return new MixpanelVisitor(DeviceId, UserId)
        {
            IpAddress = ClientIpAddress.From(context),
            Properties = properties,
        };
    }

    /// <summary>A new anonymous id: a random UUID, as Mixpanel's browser library makes its device ids.</summary>
    public static string NewDeviceId() => Guid.NewGuid().ToString();

    private static string? SignedInUserId(ClaimsPrincipal principal, string claimType, RequestTracking tracking)
    {
        if (principal.Identity?.IsAuthenticated != true || principal.FindFirst(claimType)?.Value is not { } claimed)
        {
            return null;
        }

        if (Usable(claimed) is { } userId)
        {
            return userId;
        }

        Log.UnusableUserClaim(tracking.Logger, claimType);
        return null;
    }

    private static string? Usable(string? id) => id is not null && DistinctIds.IsValidUserId(id) ? id : null;
}
