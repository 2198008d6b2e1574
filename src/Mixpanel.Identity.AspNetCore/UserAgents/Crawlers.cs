namespace Mixpanel.Identity.AspNetCore.UserAgents;

/// <summary>
/// Crawlers, link-preview fetchers and HTTP tools, which are not people. Mixpanel's browser library sends no events
/// from the crawlers it knows; on the server the caller decides, with <see cref="UserAgentInfo.IsCrawler"/>.
/// </summary>
/// <remarks>
/// The list holds every crawler the browser library blocks, with two deliberate differences: it matches
/// <c>yandexbot</c> and <c>pinterestbot</c> where the library matches <c>yandex</c> and <c>pinterest</c>, because the
/// Yandex and Pinterest apps' in-app browsers say those words too and their users are people. Other crawlers are
/// recognised by the contact address they announce (<c>+http</c>), which no browser sends, or by saying they crawl.
/// Apps' own HTTP stacks (okhttp, CFNetwork, Dalvik) are not listed: a native app calling its back end is a person.
/// Nor is headless Chrome: the library tracks it, and it is the browser of apps' end-to-end tests, whose server events
/// must be there beside the page's.
/// </remarks>
internal static class Crawlers
{
    private static readonly Crawler[] Known =
    [
        new("googlebot", "Googlebot"),
        new("adsbot-google", "AdsBot-Google"),
        new("mediapartners-google", "Mediapartners-Google"),
        new("storebot-google", "Storebot-Google"),
        new("apis-google", "APIs-Google"),
        new("feedfetcher-google", "FeedFetcher-Google"),
        new("duplexweb-google", "DuplexWeb-Google"),
        new("google-read-aloud", "Google-Read-Aloud"),
        new("google-inspectiontool", "Google-InspectionTool"),
        new("googleother", "GoogleOther"),
        new("google favicon", "Google Favicon"),
        new("google web preview", "Google Web Preview"),
        new("googleweblight", "googleweblight"),
        new("bingbot", "Bingbot"),
        new("bingpreview", "BingPreview"),
        new("yandexbot", "YandexBot"),
        new("baiduspider", "Baiduspider"),
        new("duckduckbot", "DuckDuckBot"),
        new("applebot", "Applebot"),
        new("yahoo! slurp", "Yahoo! Slurp"),
        new("ahrefsbot", "AhrefsBot"),
        new("ahrefssiteaudit", "AhrefsSiteAudit"),
        new("semrushbot", "SemrushBot"),
        new("mj12bot", "MJ12bot"),
        new("dotbot", "DotBot"),
        new("petalbot", "PetalBot"),
        new("amazonbot", "Amazonbot"),
        new("screaming frog", "Screaming Frog SEO Spider"),
        new("chrome-lighthouse", "Chrome-Lighthouse"),
        new("facebookexternal", "facebookexternalhit"),
        new("facebookcatalog", "facebookcatalog"),
        new("twitterbot", "Twitterbot"),
        new("linkedinbot", "LinkedInBot"),
        new("slackbot", "Slackbot"),
        new("discordbot", "Discordbot"),
        new("telegrambot", "TelegramBot"),
        new("whatsapp", "WhatsApp"),
        new("pinterestbot", "Pinterestbot"),
        new("gptbot", "GPTBot"),
        new("chatgpt-user", "ChatGPT-User"),
        new("oai-searchbot", "OAI-SearchBot"),
        new("claudebot", "ClaudeBot"),
        new("perplexitybot", "PerplexityBot"),
        new("ccbot", "CCBot"),
        new("bytespider", "Bytespider"),
        new("curl/", "curl"),
        new("wget/", "Wget"),
        new("python-requests", "python-requests"),
        new("python-urllib", "Python-urllib"),
        new("python-httpx", "python-httpx"),
        new("aiohttp", "aiohttp"),
        new("go-http-client", "Go-http-client"),
        new("libwww-perl", "libwww-perl"),
        new("apache-httpclient", "Apache-HttpClient"),
        new("java/", "Java"),
        new("node-fetch", "node-fetch"),
        new("axios/", "axios"),
        new("postmanruntime", "PostmanRuntime"),
    ];

    private static readonly string[] GenericMarkers = ["+http", "crawler", "spider", "bot/"];

    /// <summary>The name reported for a crawler that is recognised only by a generic marker.</summary>
    public const string GenericName = "Bot";

    private static readonly Crawler Generic = new(string.Empty, GenericName);

    public static Crawler? Find(ReadOnlySpan<char> userAgent)
    {
        foreach (var crawler in Known)
        {
            if (userAgent.IndexOf(crawler.Token, StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return crawler;
            }
        }

        foreach (var marker in GenericMarkers)
        {
            if (userAgent.IndexOf(marker, StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return Generic;
            }
        }

        return null;
    }
}
