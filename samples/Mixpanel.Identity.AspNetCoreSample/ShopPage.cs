using System.Security.Claims;
using static System.Net.WebUtility;

namespace Mixpanel.Identity.AspNetCoreSample;

/// <summary>The shop's pages: server-rendered HTML whose script runs Mixpanel's browser library.</summary>
public static class ShopPage
{
    /// <summary>
    /// The page's script, as Mixpanel's docs set the browser library up: <c>identify</c> once the user has logged in,
    /// <c>reset</c> once they have logged out. The server says who is signed in; the library's cookie says whom it
    /// knows. Page views are the library's, tracked after that so that they go to the right person.
    /// </summary>
    public const string Script = """
        const page = document.body.dataset;
        mixpanel.init(page.token, page.apiHost ? { api_host: page.apiHost } : {});
        const signedIn = page.userId || null;
        const known = mixpanel.get_property('$user_id') || null;
        if (signedIn !== known) {
          if (known) {
            mixpanel.reset();
          }

          if (signedIn) {
            mixpanel.identify(signedIn);
          }
        }

        mixpanel.track_pageview();
        """;

    /// <summary>A page with no script: the server tracks its page views (<c>TrackPageView()</c>).</summary>
    public const string Help = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Help · Mixpanel.Identity shop</title></head>
        <body><h1>Help</h1><p>Sign up with any name; buying is free here.</p><p><a href="/">Back to the shop</a></p></body></html>
        """;

    public static string Render(ClaimsPrincipal user, string token, string? browserApiHost)
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
            <body data-token="{HtmlEncode(token)}" data-api-host="{HtmlEncode(browserApiHost)}" data-user-id="{HtmlEncode(userId)}">
            <h1>Mixpanel.Identity shop</h1>
            {forms}
            <p><a href="/help">Help</a> · <a href="/identity">How Mixpanel resolves what was tracked</a></p>
            <script src="/lib/mixpanel.js"></script>
            <script src="/app.js"></script>
            </body></html>
            """;
    }
}
