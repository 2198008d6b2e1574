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
/// Who a request is from, as it arrives: their anonymous id and signed-in user, whether the anonymous id was made for
/// this request (and so must be put in the cookie), and the anonymous id in the browser library's cookie, continued or
/// not (the one a logout must retire). What the request says of the page and the browser is read only when something
/// is tracked (<see cref="Describe"/>): most requests track nothing.
/// </summary>
internal sealed record RequestVisitor(string DeviceId, string? UserId, bool IsNewDevice, string? BrowserLibraryDeviceId)
{
    /// <summary>
    /// Reads the visitor of <paramref name="context"/>. The anonymous id continues the browser library's <c>$device_id</c>
    /// when its cookie is anonymous or names the request's signed-in user; else the server's own cookie; else a new UUID.
    /// The user id comes only from the signed-in principal: the browser's cookie is written by the browser, so its user
    /// id is compared with, never taken as, the user.
    /// </summary>
    public static RequestVisitor Read(HttpContext context, RequestTracking tracking)
    {
        var options = tracking.Options;
        var userId = SignedInUserId(context.User, options.UserIdClaimType, tracking);
        var cookies = context.Request.Cookies;
        var browser = MixpanelCookie.Read(cookies, tracking.BrowserCookieName);
        var browserDeviceId = Usable(browser?.DeviceId);
        var deviceId = Continued(browserDeviceId, browser?.UserId, userId, cookies[tracking.RetiredCookieName])
            ?? Usable(cookies[options.CookieName]);
        return new RequestVisitor(deviceId ?? NewDeviceId(), userId, deviceId is null, browserDeviceId);
    }

    /// <summary>
    /// The visitor with what the request of <paramref name="context"/> says of them: the browser, device and page properties, and the
    /// client's address; <paramref name="crawler"/> is the crawler their user agent names, if any.
    /// </summary>
    public MixpanelVisitor Describe(HttpContext context, out string? crawler)
    {
        var agent = UserAgentParser.Parse(context.Request.Headers.UserAgent.Count > 0 ? context.Request.Headers.UserAgent[0] : null);
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
        agent.WriteTo(properties);
        PageAttribution.FromRequest(context.Request).WriteTo(properties);
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

    // A browser that was identified as someone other than the request's user (or identified while no one is signed in
    // now, after a logout the page has not yet caught up with) has a device id that Mixpanel links to that person; so
    // does one whose id a logout on the server retired.
    private static string? Continued(string? browserDeviceId, string? browserUserId, string? userId, string? retired) =>
        browserDeviceId is not null && (browserUserId is null || browserUserId == userId) && browserDeviceId != retired ? browserDeviceId : null;

    private static string? Usable(string? id) => id is not null && DistinctIds.IsValidUserId(id) ? id : null;
}
