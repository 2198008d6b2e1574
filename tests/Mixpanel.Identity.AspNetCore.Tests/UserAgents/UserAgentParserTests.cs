using FluentAssertions;
using Mixpanel.Identity.AspNetCore.UserAgents;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.UserAgents;

public sealed class UserAgentParserTests
{
    // Real user agents and what Mixpanel's browser library reports for each (for crawlers: the name and version we
    // report, and no OS or device).
    [Theory]
    // Desktop
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Chrome", 120.0, "Windows", null)]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
        "Chrome", 119.0, "Mac OS X", null)]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Chrome", 120.0, "Linux", null)]
    // Headless Chrome, the browser of end-to-end tests: the library tracks it as Chrome.
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.28 Safari/537.36",
        "Chrome", 120.0, "Linux", null)]
    [InlineData("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Chrome", 120.0, "Chrome OS", null)]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "Firefox", 121.0, "Windows", null)]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0",
        "Firefox", 121.0, "Mac OS X", null)]
    [InlineData("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        "Firefox", 120.0, "Linux", null)]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
        "Safari", 17.1, "Mac OS X", null)]
    [InlineData("Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534.57.2 (KHTML, like Gecko) Version/5.1.7 Safari/534.57.2",
        "Safari", 5.1, "Windows", null)]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
        "Microsoft Edge", 120.0, "Windows", null)]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.77",
        "Microsoft Edge", 120.0, "Mac OS X", null)]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045",
        "Microsoft Edge", 18.19045, "Windows", null)]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0",
        "Opera", 105.0, "Windows", null)]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0",
        "Opera", 105.0, "Mac OS X", null)]
    [InlineData("Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18",
        "Opera", 9.8, "Windows", null)]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Whale/3.23.214.10 Safari/537.36",
        "Whale Browser", 3.23, "Windows", null)]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
        "Internet Explorer", 11.0, "Windows", null)]
    [InlineData("Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)",
        "Internet Explorer", 8.0, "Windows", null)]
    [InlineData("Mozilla/5.0 (X11; Linux) KHTML/4.14.3 (like Gecko) Konqueror/4.14",
        "Konqueror", null, "Linux", null)]
    // iOS
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
        "Mobile Safari", 17.1, "iOS", "iPhone")]
    [InlineData("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
        "Mobile Safari", 16.6, "iOS", "iPad")]
    [InlineData("Mozilla/5.0 (iPod touch; CPU iPhone OS 15_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6.1 Mobile/15E148 Safari/604.1",
        "Mobile Safari", 15.6, "iOS", "iPod Touch")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
        "Chrome iOS", 120.0, "iOS", "iPhone")]
    [InlineData("Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
        "Chrome iOS", 120.0, "iOS", "iPad")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15",
        "Firefox iOS", 121.0, "iOS", "iPhone")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/120.0.2210.84 Mobile/15E148 Safari/605.1.15",
        "Mobile Safari", 17.0, "iOS", "iPhone")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.1.2;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
        "Facebook Mobile", null, "iOS", "iPhone")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 307.0.0.34.111 (iPhone13,2; iOS 16_6; en_US; en; scale=3.00; 1170x2532; 532277817)",
        "Mobile Safari", null, "iOS", "iPhone")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [Pinterest/iOS]",
        "Mobile Safari", null, "iOS", "iPhone")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 12_1 like Mac OS X; zh-CN) AppleWebKit/537.51.1 (KHTML, like Gecko) Mobile/16B92 UCBrowser/12.1.7.1109 Mobile AliApp(TUnionSDK/0.1.20.3)",
        "UC Browser", 12.1, "iOS", "iPhone")]
    // Android
    [InlineData("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
        "Chrome", 120.0, "Android", "Android")]
    [InlineData("Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
        "Samsung Internet", 23.0, "Android", "Android")]
    [InlineData("Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.193 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/442.0.0.33.113;]",
        "Chrome", 119.0, "Android", "Android")]
    [InlineData("Mozilla/5.0 (Linux; U; Android 8.1.0; en-US; Redmi 6A Build/O11019) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/57.0.2987.108 UCBrowser/13.4.0.1306 Mobile Safari/537.36",
        "Chrome", 57.0, "Android", "Android")]
    [InlineData("Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
        "Android Mobile", null, "Android", "Android")]
    [InlineData("Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
        "Android Mobile", null, "Android", "Android")]
    [InlineData("Opera/9.80 (Android; Opera Mini/36.2.2254/119.132; U; id) Presto/2.12.423 Version/12.16",
        "Opera Mini", null, "Android", "Android")]
    // Windows Phone and BlackBerry
    [InlineData("Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; Touch; NOKIA; Lumia 920)",
        "Internet Explorer Mobile", null, "Windows Phone", "Windows Phone")]
    [InlineData("Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063",
        "Microsoft Edge", 15.15063, "Windows Phone", "Windows Phone")]
    [InlineData("Mozilla/5.0 (BB10; Touch) AppleWebKit/537.35+ (KHTML, like Gecko) Version/10.3.3.2205 Mobile Safari/537.35+",
        "BlackBerry", null, "BlackBerry", "BlackBerry")]
    public void Parse_RealBrowser_ReportsWhatMixpanelsBrowserLibraryReports(
        string userAgent, string browser, double? version, string os, string? device)
    {
        UserAgentParser.Parse(userAgent).Should().Be(new UserAgentInfo(browser, version, os, device, IsCrawler: false));
    }

    [Theory]
    [InlineData("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/120.0.6099.216 Safari/537.36",
        "Googlebot", 2.1)]
    [InlineData("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.216 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot", 2.1)]
    [InlineData("Googlebot-Image/1.0", "Googlebot", null)]
    [InlineData("AdsBot-Google (+http://www.google.com/adsbot.html)", "AdsBot-Google", null)]
    [InlineData("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "Bingbot", 2.0)]
    [InlineData("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "YandexBot", 3.0)]
    [InlineData("Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", "Baiduspider", 2.0)]
    [InlineData("DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", "DuckDuckBot", 1.1)]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        "Applebot", 0.1)]
    [InlineData("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "AhrefsBot", 7.0)]
    [InlineData("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "facebookexternalhit", null)]
    [InlineData("Twitterbot/1.0", "Twitterbot", 1.0)]
    [InlineData("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "Slackbot", null)]
    [InlineData("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", "GPTBot", 1.2)]
    [InlineData("curl/8.4.0", "curl", 8.4)]
    [InlineData("Wget/1.21.4", "Wget", 1.21)]
    [InlineData("python-requests/2.31.0", "python-requests", 2.31)]
    [InlineData("Go-http-client/2.0", "Go-http-client", 2.0)]
    [InlineData("Mozilla/5.0 (compatible; SeznamBot/4.0; +https://o-seznam.cz/napoveda/vyhledavani/en/seznambot-crawler/)", "Bot", null)]
    [InlineData("Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)", "Bot", null)]
    public void Parse_Crawler_ReportsItsNameAndVersionAndNoOsOrDevice(string userAgent, string name, double? version)
    {
        UserAgentParser.Parse(userAgent).Should().Be(new UserAgentInfo(name, version, Os: null, Device: null, IsCrawler: true));
    }

    // Every user agent the browser library sends nothing for, except "yandex" and "pinterest", which it matches in the
    // Yandex and Pinterest apps' in-app browsers too (see Parse_RealBrowser: the Pinterest app is a person).
    [Theory]
    [InlineData("ahrefsbot")]
    [InlineData("ahrefssiteaudit")]
    [InlineData("amazonbot")]
    [InlineData("baiduspider")]
    [InlineData("bingbot")]
    [InlineData("bingpreview")]
    [InlineData("chrome-lighthouse")]
    [InlineData("facebookexternal")]
    [InlineData("petalbot")]
    [InlineData("screaming frog")]
    [InlineData("yahoo! slurp")]
    [InlineData("adsbot-google")]
    [InlineData("apis-google")]
    [InlineData("duplexweb-google")]
    [InlineData("feedfetcher-google")]
    [InlineData("google favicon")]
    [InlineData("google web preview")]
    [InlineData("google-read-aloud")]
    [InlineData("googlebot")]
    [InlineData("googleweblight")]
    [InlineData("mediapartners-google")]
    [InlineData("storebot-google")]
    public void Parse_CrawlerTheBrowserLibraryBlocks_IsACrawler(string token)
    {
        var userAgent = $"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko; {token.ToUpperInvariant()}) Chrome/120.0.0.0 Safari/537.36";

        var info = UserAgentParser.Parse(userAgent);

        info.IsCrawler.Should().BeTrue();
        info.Browser.Should().NotBe(Crawlers.GenericName);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("Mozilla")]
    public void Parse_NoRecognisableUserAgent_ReportsNothing(string? userAgent)
    {
        UserAgentParser.Parse(userAgent).Should().Be(default(UserAgentInfo));
    }

    [Fact]
    public void Parse_GeckoWithoutAKnownBrowser_ReportsMozillaAndItsRevision()
    {
        UserAgentParser.Parse("Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 SeaMonkey/2.53.18")
            .Should().Be(new UserAgentInfo("Mozilla", 115.0, "Linux", null, IsCrawler: false));
    }

    [Fact]
    public void Parse_VersionMarkerWithoutDigits_UsesTheNextMarkerThatHasThem()
    {
        UserAgentParser.Parse("Mozilla/5.0 (Windows NT 10.0) Chrome/x Chrome/99.5.1")
            .BrowserVersion.Should().Be(99.5);
    }

    [Fact]
    public void Parse_VersionTooLongForANumber_ReportsNoVersion()
    {
        var userAgent = "Mozilla/5.0 (Windows NT 10.0) Chrome/" + new string('9', 400);

        UserAgentParser.Parse(userAgent).Should().Be(new UserAgentInfo("Chrome", null, "Windows", null, IsCrawler: false));
    }

    [Fact]
    public void Parse_HugeUserAgent_ReadsOnlyTheBoundedPrefix()
    {
        var padding = new string('x', UserAgentParser.MaxLength);

        UserAgentParser.Parse("Mozilla/5.0 (Windows NT 10.0) " + padding + " Chrome/120.0 curl/8.0")
            .Should().Be(new UserAgentInfo(null, null, "Windows", null, IsCrawler: false));
    }

    [Fact]
    public void Parse_HostileCharacters_NeverThrows()
    {
        const string Fragments = "Chrome/OPR Edg.1 rv:9 Version/ Mobile";
        var random = new Random(20240601);
        var buffer = new char[600];
        for (var round = 0; round < 2000; round++)
        {
            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] = random.Next(4) == 0 ? (char)random.Next(char.MaxValue + 1) : Fragments[random.Next(Fragments.Length)];
            }

            var userAgent = new string(buffer, 0, random.Next(buffer.Length));
            var act = () => UserAgentParser.Parse(userAgent);

            act.Should().NotThrow();
        }
    }

    [Fact]
    public void Parse_RepeatedCalls_AllocatesNothingPerCall()
    {
        const int Calls = 10_000;
        const string UserAgent =
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1";
        UserAgentParser.Parse(UserAgent);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            UserAgentParser.Parse(UserAgent);
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(Calls, "a parse allocates nothing; the runtime may allocate a little on the side");
    }

    [Fact]
    public void WriteTo_KnownValues_SetsThemAndLeavesUnknownOnesAlone()
    {
        var properties = new Dictionary<string, object?> { ["$device"] = "kept", ["$os"] = "replaced" };

        new UserAgentInfo("Chrome", 120, "Windows", null, IsCrawler: false).WriteTo(properties);

        properties.Should().Equal(new Dictionary<string, object?>
        {
            ["$device"] = "kept",
            ["$os"] = "Windows",
            ["$browser"] = "Chrome",
            ["$browser_version"] = 120.0,
        });
    }

    [Fact]
    public void WriteTo_NoVersion_LeavesBrowserVersionOut()
    {
        var properties = new Dictionary<string, object?>();

        new UserAgentInfo("Facebook Mobile", null, "iOS", "iPhone", IsCrawler: false).WriteTo(properties);

        properties.Should().NotContainKey("$browser_version").And.HaveCount(3);
    }
}
