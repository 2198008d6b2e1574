namespace Mixpanel.Identity.AspNetCore.UserAgents;

/// <summary>
/// Reads a <c>User-Agent</c> header into <c>$browser</c>, <c>$browser_version</c>, <c>$os</c> and <c>$device</c>
/// with the checks, in the order, that Mixpanel's browser library makes, so a user's server-side and browser events
/// agree. Known crawlers and HTTP tools are recognised first (<see cref="Crawlers"/>). Allocates nothing and never
/// throws; only the first <see cref="MaxLength"/> characters are read.
/// </summary>
internal static class UserAgentParser
{
    /// <summary>Characters read; real user agents are a few hundred, and this bounds the work a hostile one causes.</summary>
    public const int MaxLength = 2048;

    public static UserAgentInfo Parse(string? userAgent)
    {
        if (string.IsNullOrEmpty(userAgent))
        {
            return default;
        }

        var text = userAgent.AsSpan(0, Math.Min(userAgent.Length, MaxLength));
        if (Crawlers.Find(text) is { } crawler)
        {
            return new UserAgentInfo(crawler.Name, crawler.VersionIn(text), Os: null, Device: null, IsCrawler: true);
        }

        var browser = Browser(text);
        return new UserAgentInfo(browser?.Name, browser?.VersionIn(text), Os(text), Device(text), IsCrawler: false);
    }

    private static BrowserFamily? Browser(ReadOnlySpan<char> ua)
    {
        // Each check relies on the ones before it: Chromium-based browsers also say "Chrome", and nearly every browser
        // says "Safari" and "Gecko". The library finds Presto-era Opera by its window.opera object; its user agent
        // says "Opera".
        if (Has(ua, "Opera") || Has(ua, " OPR/"))
        {
            return Has(ua, "Mini") ? BrowserFamily.OperaMini : BrowserFamily.Opera;
        }

        if (IsBlackBerry(ua))
        {
            return BrowserFamily.BlackBerry;
        }

        if (Has(ua, "IEMobile") || Has(ua, "WPDesktop"))
        {
            return BrowserFamily.InternetExplorerMobile;
        }

        if (Has(ua, "SamsungBrowser/"))
        {
            return BrowserFamily.SamsungInternet;
        }

        if (Has(ua, "Edge") || Has(ua, "Edg/"))
        {
            return BrowserFamily.MicrosoftEdge;
        }

        if (Has(ua, "FBIOS"))
        {
            return BrowserFamily.FacebookMobile;
        }

        if (Has(ua, "Whale/"))
        {
            return BrowserFamily.Whale;
        }

        if (Has(ua, "Chrome"))
        {
            return BrowserFamily.Chrome;
        }

        if (Has(ua, "CriOS"))
        {
            return BrowserFamily.ChromeIos;
        }

        if (Has(ua, "UCWEB") || Has(ua, "UCBrowser"))
        {
            return BrowserFamily.UCBrowser;
        }

        if (Has(ua, "FxiOS"))
        {
            return BrowserFamily.FirefoxIos;
        }

        if (IsAppleVendor(ua))
        {
            return Has(ua, "Mobile") ? BrowserFamily.MobileSafari : BrowserFamily.Safari;
        }

        if (Has(ua, "Android"))
        {
            return BrowserFamily.AndroidMobile;
        }

        if (Has(ua, "Konqueror"))
        {
            return BrowserFamily.Konqueror;
        }

        if (Has(ua, "Firefox"))
        {
            return BrowserFamily.Firefox;
        }

        if (Has(ua, "MSIE") || Has(ua, "Trident/"))
        {
            return BrowserFamily.InternetExplorer;
        }

        return Has(ua, "Gecko") ? BrowserFamily.Mozilla : null;
    }

    // In the browser, Mixpanel's library asks navigator.vendor, which is "Apple Computer, Inc." in Safari and in every
    // iOS browser. A server sees only the user agent: once the Blink browsers above are ruled out, WebKit outside
    // Android (whose WebKit browser says "Google Inc.") is Apple's.
    private static bool IsAppleVendor(ReadOnlySpan<char> ua) => Has(ua, "AppleWebKit") && !Has(ua, "Android");

    private static string? Os(ReadOnlySpan<char> ua)
    {
        if (HasIgnoringCase(ua, "Windows"))
        {
            return Has(ua, "Phone") || Has(ua, "WPDesktop") ? "Windows Phone" : "Windows";
        }

        if (Has(ua, "iPhone") || Has(ua, "iPad") || Has(ua, "iPod"))
        {
            return "iOS";
        }

        if (Has(ua, "Android"))
        {
            return "Android";
        }

        if (IsBlackBerry(ua))
        {
            return "BlackBerry";
        }

        if (HasIgnoringCase(ua, "Mac"))
        {
            return "Mac OS X";
        }

        if (Has(ua, "Linux"))
        {
            return "Linux";
        }

        return Has(ua, "CrOS") ? "Chrome OS" : null;
    }

    private static string? Device(ReadOnlySpan<char> ua)
    {
        if (HasIgnoringCase(ua, "Windows Phone") || Has(ua, "WPDesktop"))
        {
            return "Windows Phone";
        }

        if (Has(ua, "iPad"))
        {
            return "iPad";
        }

        if (Has(ua, "iPod"))
        {
            return "iPod Touch";
        }

        if (Has(ua, "iPhone"))
        {
            return "iPhone";
        }

        if (IsBlackBerry(ua))
        {
            return "BlackBerry";
        }

        return Has(ua, "Android") ? "Android" : null;
    }

    private static bool IsBlackBerry(ReadOnlySpan<char> ua) =>
        HasIgnoringCase(ua, "BlackBerry") || HasIgnoringCase(ua, "PlayBook") || HasIgnoringCase(ua, "BB10");

    private static bool Has(ReadOnlySpan<char> ua, string value) => ua.IndexOf(value, StringComparison.Ordinal) >= 0;

    private static bool HasIgnoringCase(ReadOnlySpan<char> ua, string value) =>
        ua.IndexOf(value, StringComparison.OrdinalIgnoreCase) >= 0;
}
