using Microsoft.Extensions.Logging;
using Mixpanel.Identity.AspNetCore.Diagnostics;

namespace Mixpanel.Identity.AspNetCore.UserAgents;

/// <summary>
/// Reports skipped crawler events in the log at most once a minute, with how many were skipped since the last report:
/// a crawl can send thousands of requests a minute, and one line per request would drown the app's own log. Every skip
/// is counted in the client's diagnostics (<see cref="DropReason.Crawler"/>) whether it is reported here or not.
/// </summary>
internal sealed class CrawlerSkips(TimeProvider time, ILogger logger)
{
    /// <summary>The shortest time between two reports.</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromMinutes(1);

    // Skips come from many requests at once; the lock is held for a comparison and an addition.
    private readonly object _gate = new();
    private long _unreported;
    private DateTimeOffset? _lastReport;

    public void Skipped(string crawler)
    {
        long count;
        lock (_gate)
        {
            _unreported++;
            var now = time.GetUtcNow();
            if (_lastReport is { } last && now - last < ReportInterval)
            {
                return;
            }

            _lastReport = now;
            count = _unreported;
            _unreported = 0;
        }

        Log.CrawlersSkipped(logger, count, crawler);
    }
}
