using System.Security.Claims;
using static System.Net.WebUtility;

namespace Mixpanel.Identity.AspNetCoreSample;

/// <summary>The shop's pages: server-rendered HTML whose script runs Mixpanel's browser library.</summary>
public static class ShopPage
{
    /// <summary>How the page starts the library: the project, where it sends, and how it keeps its state.</summary>
    /// <param name="Token">The project token.</param>
    /// <param name="ApiHost">Where the library sends; null for Mixpanel's own.</param>
    /// <param name="Persistence">The library's <c>persistence</c>: <c>cookie</c> (its default) or <c>localStorage</c>.</param>
    /// <param name="CrossSubdomainCookie">The library's <c>cross_subdomain_cookie</c>, which the server's <c>BrowserCookieCrossSubdomain</c> must match.</param>
    public sealed record BrowserSettings(string Token, string? ApiHost, string Persistence, bool CrossSubdomainCookie);

    /// <summary>
    /// The page's script. The server has already tracked the page view and agreed the visitor's device id with the
    /// library through the library's own cookie; the page identifies the signed-in user, as Mixpanel's docs show, and
    /// tracks what happens in the page. It never needs <c>reset()</c>: the server's logout gives the library a new
    /// anonymous visitor in its cookie. With <c>persistence: 'localStorage'</c> the library copies its cookie into local
    /// storage only when it has none, so the page lets a cookie the server wrote win.
    /// </summary>
    public const string Script = """
        const page = document.body.dataset;
        const persistence = page.persistence || 'cookie';
        const cookieName = 'mp_' + page.token + '_mixpanel';
        if (persistence === 'localStorage' && document.cookie.split('; ').some((c) => c.startsWith(cookieName + '='))) {
          localStorage.removeItem(cookieName);   // the server wrote the cookie: a new visitor, or a logout
        }

        mixpanel.init(page.token, {
          api_host: page.apiHost || undefined,
          persistence,
          cross_subdomain_cookie: page.crossSubdomainCookie !== 'false',
        });
        const signedIn = page.userId || null;
        if (signedIn && mixpanel.get_property('$user_id') !== signedIn) {
          mixpanel.identify(signedIn);
        }

        document.getElementById('wishlist')?.addEventListener('click', () => {
          mixpanel.track('Added To Wishlist', { item: 'plan' });
        });
        """;

    /// <summary>A page with no script: the server tracks its page views (<c>TrackPageView()</c>).</summary>
    public const string Help = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Help · Mixpanel.Identity shop</title></head>
        <body><h1>Help</h1><p>Sign up with any name; buying is free here.</p><p><a href="/">Back to the shop</a></p></body></html>
        """;

    public static string Render(ClaimsPrincipal user, BrowserSettings browser)
    {
        var signedIn = user.Identity?.IsAuthenticated == true;
        var userId = signedIn ? user.FindFirstValue(ClaimTypes.NameIdentifier) : null;
        var forms = signedIn
            ? $"""
              <p id="status">Signed in as {HtmlEncode(user.Identity!.Name)}</p>
              <form method="post" action="/purchase"><button id="purchase">Buy the $9.99 plan</button></form>
              <form method="post" action="/logout"><button id="logout">Log out</button></form>
              """
            : """
              <p id="status">Not signed in</p>
              <form method="post" action="/signup"><input id="signup-name" name="username" required> <button id="signup">Sign up</button></form>
              <form method="post" action="/login"><input id="login-name" name="username" required> <button id="login">Log in</button></form>
              """;
        return $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Mixpanel.Identity shop</title></head>
            <body data-token="{HtmlEncode(browser.Token)}" data-api-host="{HtmlEncode(browser.ApiHost)}" data-persistence="{HtmlEncode(browser.Persistence)}" data-cross-subdomain-cookie="{(browser.CrossSubdomainCookie ? "true" : "false")}" data-user-id="{HtmlEncode(userId)}">
            <h1>Mixpanel.Identity shop</h1>
            {forms}
            <p><button id="wishlist" type="button">Add the plan to my wishlist</button></p>
            <p><a href="/help">Help</a> · <a href="/identity">How Mixpanel resolves what was tracked</a></p>
            <script src="/lib/mixpanel.js"></script>
            <script src="/app.js"></script>
            </body></html>
            """;
    }
}
