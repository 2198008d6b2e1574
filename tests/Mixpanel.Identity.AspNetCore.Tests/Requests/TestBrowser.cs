using Microsoft.Net.Http.Headers;

namespace Mixpanel.Identity.AspNetCore.Tests.Requests;

/// <summary>
/// A browser as the server sees one: a cookie jar kept from <c>Set-Cookie</c> answers and sent back, and a user agent.
/// Cookies expire on the app's fake clock, so the jar agrees with the app about time.
/// </summary>
internal sealed class TestBrowser(HttpClient http, Uri baseAddress, TimeProvider time, string? userAgent)
{
    public const string ChromeOnMac =
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    public const string Googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    public Dictionary<string, string> Cookies { get; } = new(StringComparer.Ordinal);

    /// <summary>The cookies the last answer set, as the server wrote them.</summary>
    public IReadOnlyList<SetCookieHeaderValue> SetCookies { get; private set; } = [];

    /// <summary>Puts the cookie Mixpanel's browser library keeps, URL-encoded as the library writes it.</summary>
    public void SetBrowserLibraryCookie(string json) => Cookies[WebHarness.BrowserCookieName] = Uri.EscapeDataString(json);

    public Task<HttpResponseMessage> GetAsync(string path, Action<HttpRequestMessage>? configure = null) => SendAsync(HttpMethod.Get, path, configure);

    public Task<HttpResponseMessage> PostAsync(string path, Action<HttpRequestMessage>? configure = null) => SendAsync(HttpMethod.Post, path, configure);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(baseAddress, path));
        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        if (Cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", Cookies.Select(cookie => cookie.Key + "=" + cookie.Value)));
        }

        configure?.Invoke(request);
        var response = await http.SendAsync(request);
        SetCookies = response.Headers.TryGetValues(HeaderNames.SetCookie, out var values) ? [.. SetCookieHeaderValue.ParseList([.. values])] : [];
        foreach (var cookie in SetCookies)
        {
            var expired = cookie.MaxAge <= TimeSpan.Zero || cookie.Expires <= time.GetUtcNow();
            if (expired)
            {
                Cookies.Remove(cookie.Name.ToString());
            }
            else
            {
                Cookies[cookie.Name.ToString()] = cookie.Value.ToString();
            }
        }

        return response;
    }
}
