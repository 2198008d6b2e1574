namespace Mixpanel.Identity.AspNetCore.UserAgents;

/// <summary>A browser as Mixpanel's browser library names it, and where its user agent keeps the version.</summary>
internal sealed class BrowserFamily
{
    private readonly string[] _versionPrefixes;

    private BrowserFamily(string name, params string[] versionPrefixes)
    {
        Name = name;
        _versionPrefixes = versionPrefixes;
    }

    // Names and version markers are those of Mixpanel's browser library (mixpanel-js, _.info.browser and
    // browserVersion), so events tracked on the server and in the browser fall into the same reports. Its quirks are
    // kept on purpose: Opera's "Opera/9.80" is version 9.8, and Konqueror, Opera Mini, Facebook and the Android
    // browser report no version.
    public static readonly BrowserFamily Opera = new("Opera", "Opera/", "OPR/");
    public static readonly BrowserFamily OperaMini = new("Opera Mini");
    public static readonly BrowserFamily BlackBerry = new("BlackBerry", "BlackBerry ");
    public static readonly BrowserFamily InternetExplorerMobile = new("Internet Explorer Mobile", "rv:");
    public static readonly BrowserFamily SamsungInternet = new("Samsung Internet", "SamsungBrowser/");
    public static readonly BrowserFamily MicrosoftEdge = new("Microsoft Edge", "Edge/", "Edg/");
    public static readonly BrowserFamily FacebookMobile = new("Facebook Mobile");
    public static readonly BrowserFamily Whale = new("Whale Browser", "Whale/");
    public static readonly BrowserFamily Chrome = new("Chrome", "Chrome/");
    public static readonly BrowserFamily ChromeIos = new("Chrome iOS", "CriOS/");
    public static readonly BrowserFamily UCBrowser = new("UC Browser", "UCBrowser/", "UCWEB/");
    public static readonly BrowserFamily FirefoxIos = new("Firefox iOS", "FxiOS/");
    public static readonly BrowserFamily MobileSafari = new("Mobile Safari", "Version/");
    public static readonly BrowserFamily Safari = new("Safari", "Version/");
    public static readonly BrowserFamily AndroidMobile = new("Android Mobile", "android ");
    public static readonly BrowserFamily Konqueror = new("Konqueror", "Konqueror:");
    public static readonly BrowserFamily Firefox = new("Firefox", "Firefox/");
    public static readonly BrowserFamily InternetExplorer = new("Internet Explorer", "rv:", "MSIE ");
    public static readonly BrowserFamily Mozilla = new("Mozilla", "rv:");

    public string Name { get; }

    public double? VersionIn(ReadOnlySpan<char> userAgent) =>
        _versionPrefixes.Length == 0 ? null : VersionNumber.After(userAgent, _versionPrefixes);
}
