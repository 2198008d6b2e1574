using System.Security.Claims;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.AspNetCore;

/// <summary>
/// How each request's visitor is established and what is tracked for it: the cookie that keeps a visitor's anonymous
/// id, the claim that names the signed-in user, the page-view event and whether crawlers are tracked. Read from the
/// same configuration section as <see cref="MixpanelOptions"/>, under these property names.
/// </summary>
public sealed class MixpanelWebOptions
{
    /// <summary>
    /// The name of the cookie in which the server keeps the anonymous id (<c>$device_id</c>) it last tracked a visitor
    /// under: the id it continues when the browser has no cookie of Mixpanel's browser library (a page whose library keeps
    /// its state in local storage), and the one it tells a library's own reset from. The cookie is HttpOnly,
    /// SameSite=Lax, and Secure unless the site is served over plain HTTP on this machine (localhost, 127.0.0.1, [::1]).
    /// </summary>
    /// <value>The default value is <c>mixpanel_device_id</c>.</value>
    public string CookieName { get; set; } = "mixpanel_device_id";

    /// <summary>How long the anonymous-id cookie lives; it is set again, for as long, whenever the id changes.</summary>
    /// <value>The default value is 365 days, as long as Mixpanel's browser library keeps its own cookie. At most 400 days, the longest browsers keep a cookie.</value>
    public TimeSpan CookieLifetime { get; set; } = TimeSpan.FromDays(365);

    /// <summary>
    /// The name of the cookie of Mixpanel's browser library whose <c>$device_id</c> a request continues. Set it when the
    /// page gives the library a <c>cookie_name</c> of its own.
    /// </summary>
    /// <value>The default value is null: the library's own name, <c>mp_&lt;project token&gt;_mixpanel</c>.</value>
    public string? BrowserCookieName { get; set; }

    /// <summary>
    /// Whether the page's browser library keeps its cookie for the whole site, as its <c>cross_subdomain_cookie</c>
    /// option says (on unless the page turns it off). The server writes the library's cookie for a new visitor and at
    /// logout, so that the library adopts the server's device id; it must give the cookie the same domain as the
    /// library does, or the browser keeps two cookies of the same name.
    /// </summary>
    /// <value>The default value is true, as the library's own default.</value>
    public bool BrowserCookieCrossSubdomain { get; set; } = true;

    /// <summary>The claim of the signed-in principal that holds the user id Mixpanel knows the user by (your database key).</summary>
    /// <value>The default value is <see cref="ClaimTypes.NameIdentifier"/>.</value>
    public string UserIdClaimType { get; set; } = ClaimTypes.NameIdentifier;

    /// <summary>
    /// The event tracked for each page view of an endpoint marked with <c>TrackPageView()</c>. The default is the event
    /// Mixpanel's browser library tracks, with the same page properties, so that server-side page views land in the
    /// same reports as browser ones.
    /// </summary>
    /// <value>The default value is <c>$mp_web_page_view</c>.</value>
    public string PageViewEventName { get; set; } = "$mp_web_page_view";

    /// <summary>
    /// Whether events of visitors whose user agent is a crawler or an HTTP tool (Googlebot, curl, link previewers) are
    /// tracked while they are not signed in. Skipped events are counted as <see cref="DropReason.Crawler"/> and logged at
    /// Information, at most once a minute with the count. A signed-in visitor is tracked whatever their user agent: it is
    /// their own tool acting for them. Headless Chrome (an app's end-to-end tests) is a browser, not a crawler: it is
    /// tracked, as Mixpanel's browser library tracks it.
    /// </summary>
    /// <value>The default value is false, as Mixpanel's browser library sends nothing for the crawlers it knows.</value>
    public bool TrackCrawlers { get; set; }

    // Browsers cap a cookie's expiry at 400 days from when it is set (RFC 6265bis, Chrome and others).
    private static readonly TimeSpan MaxCookieLifetime = TimeSpan.FromDays(400);

    /// <summary>Every problem with the options, each as a sentence; empty when they are valid.</summary>
    internal IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!IsCookieName(CookieName))
        {
            errors.Add($"{nameof(CookieName)} must be a cookie name: letters, digits and !#$%&'*+-.^_`|~ only.");
        }

        if (BrowserCookieName is not null && !IsCookieName(BrowserCookieName))
        {
            errors.Add($"{nameof(BrowserCookieName)} must be null or a cookie name: letters, digits and !#$%&'*+-.^_`|~ only.");
        }

        if (CookieLifetime <= TimeSpan.Zero || CookieLifetime > MaxCookieLifetime)
        {
            errors.Add($"{nameof(CookieLifetime)} must be positive and at most 400 days, the longest browsers keep a cookie.");
        }

        if (string.IsNullOrWhiteSpace(UserIdClaimType))
        {
            errors.Add($"{nameof(UserIdClaimType)} must name a claim type.");
        }

        if (!EventProperties.IsValidName(PageViewEventName))
        {
            errors.Add($"{nameof(PageViewEventName)} must be an event name: not empty, and no half of a surrogate pair.");
        }

        return errors;
    }

    // A token of RFC 6265 (RFC 7230's tchar): what a browser keeps as a cookie's name.
    private static bool IsCookieName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && "!#$%&'*+-.^_`|~".IndexOf(c, StringComparison.Ordinal) < 0)
            {
                return false;
            }
        }

        return true;
    }
}
