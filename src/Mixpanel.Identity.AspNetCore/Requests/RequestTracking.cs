using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mixpanel.Identity.AspNetCore.Cookies;
using Mixpanel.Identity.AspNetCore.Diagnostics;
using Mixpanel.Identity.AspNetCore.UserAgents;

namespace Mixpanel.Identity.AspNetCore.Requests;

/// <summary>What the tracking of every request shares: the client, the options, the clock and the log. One per app.</summary>
internal sealed class RequestTracking
{
    public RequestTracking(
        MixpanelServerClient client,
        IOptions<MixpanelWebOptions> webOptions,
        IOptions<MixpanelOptions> options,
        TimeProvider timeProvider,
        ILoggerFactory? loggerFactory = null)
    {
        Client = client;
        Options = webOptions.Value;
        BrowserCookieName = Options.BrowserCookieName ?? MixpanelCookie.NameFor(options.Value.ProjectToken);
        RetiredCookieName = Options.CookieName + "_retired";
        Time = timeProvider;
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(Log.Category);
        CrawlerSkips = new CrawlerSkips(timeProvider, Logger);
    }

    public MixpanelServerClient Client { get; }

    public MixpanelWebOptions Options { get; }

    /// <summary>The cookie of Mixpanel's browser library for this project.</summary>
    public string BrowserCookieName { get; }

    /// <summary>
    /// The cookie that keeps the anonymous id a logout retired (<see cref="MixpanelRequestTracker.Reset"/>): until the
    /// page's browser library resets too, its cookie still holds that id, which Mixpanel links to the person who left.
    /// </summary>
    public string RetiredCookieName { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    /// <summary>The log's account of skipped crawler events.</summary>
    public CrawlerSkips CrawlerSkips { get; }
}
