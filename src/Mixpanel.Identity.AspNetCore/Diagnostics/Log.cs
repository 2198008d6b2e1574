using Microsoft.Extensions.Logging;

namespace Mixpanel.Identity.AspNetCore.Diagnostics;

/// <summary>
/// Every message the web part logs, with stable event ids (5xxx, beside the client's 1xxx–4xxx). Messages never carry
/// ids, cookies or property values.
/// </summary>
internal static partial class Log
{
    public const string Category = "Mixpanel.Identity.AspNetCore";

    [LoggerMessage(5001, LogLevel.Information, "{Count} event(s) of crawlers and HTTP tools that were not signed in were skipped since the last report, the latest from {Crawler}; they are counted as DropReason.Crawler, and MixpanelWebOptions.TrackCrawlers tracks them.")]
    public static partial void CrawlersSkipped(ILogger logger, long count, string? crawler);

    [LoggerMessage(5002, LogLevel.Warning, "The signed-in user's {ClaimType} claim holds an id Mixpanel would refuse (empty, a placeholder such as 0 or null, or over 255 characters); the request is tracked as anonymous.")]
    public static partial void UnusableUserClaim(ILogger logger, string claimType);

    [LoggerMessage(5003, LogLevel.Warning, "Reset was called after the response started, so the new anonymous id could not be put in the visitor's cookie; the next request goes on with the one before. Call Reset before writing the response.")]
    public static partial void ResetAfterResponseStarted(ILogger logger);

    [LoggerMessage(5005, LogLevel.Warning, "Reset was called after the request had completed, so the new anonymous id could not be put in the visitor's cookie; the next request goes on with the one before. Call Reset in the request.")]
    public static partial void ResetAfterRequestCompleted(ILogger logger);

    [LoggerMessage(5004, LogLevel.Error, "Reading the request's visitor failed; the request is tracked as a new anonymous visitor and the app's request goes on.")]
    public static partial void VisitorUnreadable(ILogger logger, Exception exception);
}
