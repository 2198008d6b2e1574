using Microsoft.Extensions.Logging;

namespace Mixpanel.Identity.Diagnostics;

/// <summary>
/// Every message the client logs, with stable event ids (1xxx identity, 2xxx queue, 3xxx delivery, 4xxx hosting, 5xxx feature flags). Messages never
/// carry the project token or property values.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Warning, "The stored identity was unreadable ({Reason}); it was kept aside as {CorruptPath} and a fresh identity was created.")]
    public static partial void IdentityCorrupt(ILogger logger, string corruptPath, string reason);

    [LoggerMessage(1002, LogLevel.Warning, "The stored identity could not be read; a fresh identity was created.")]
    public static partial void IdentityUnreadable(ILogger logger, Exception exception);

    [LoggerMessage(1003, LogLevel.Error, "The identity could not be saved; it is kept in memory and saved again on the next change.")]
    public static partial void IdentitySaveFailed(ILogger logger, Exception exception);

    [LoggerMessage(1004, LogLevel.Warning, "Identify switched from one identified user to another without Reset. Call Reset when a user logs out, so that two people never share a device id.")]
    public static partial void IdentifyReplacedUser(ILogger logger);

    [LoggerMessage(1005, LogLevel.Error, "The storage directory {Directory} is unusable; identity and queue are kept in memory for this process.")]
    public static partial void StorageUnavailable(ILogger logger, string directory, Exception exception);

    [LoggerMessage(1007, LogLevel.Warning, "DeleteUser was called while the user is anonymous; there is no user profile to delete, so nothing was sent.")]
    public static partial void DeleteUserWhileAnonymous(ILogger logger);

    [LoggerMessage(1008, LogLevel.Warning, "The client was called after it was disposed; the call was ignored (records are counted as dropped).")]
    public static partial void RecordAfterDispose(ILogger logger);

    [LoggerMessage(1009, LogLevel.Information, "The user opted out of tracking; pending records are discarded and new ones are not recorded.")]
    public static partial void OptedOut(ILogger logger);

    [LoggerMessage(2001, LogLevel.Information, "{Count} records left by an earlier run were found in the queue and will be sent.")]
    public static partial void QueueRecovered(ILogger logger, long count);

    [LoggerMessage(2003, LogLevel.Error, "Records could not be written to the queue on disk; trying again in {Delay}.")]
    public static partial void QueueWriteFailed(ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(2004, LogLevel.Warning, "The queue is full; the {Count} oldest records were dropped to make room.")]
    public static partial void QueueFull(ILogger logger, long count);

    [LoggerMessage(2005, LogLevel.Warning, "A {Endpoint} record of {Bytes} bytes is over Mixpanel's 1 MB limit and was dropped.")]
    public static partial void RecordTooLarge(ILogger logger, string endpoint, int bytes);

    [LoggerMessage(2006, LogLevel.Warning, "{Count} events older than the 5 days Mixpanel's /track accepts were dropped.")]
    public static partial void RecordsExpired(ILogger logger, long count);

    [LoggerMessage(2008, LogLevel.Error, "The queue on disk could not be opened; records are kept in memory for this process.")]
    public static partial void QueueOpenFailed(ILogger logger, Exception exception);

    [LoggerMessage(3001, LogLevel.Debug, "{Count} records were delivered to {Endpoint}.")]
    public static partial void BatchSent(ILogger logger, int count, string endpoint);

    [LoggerMessage(3002, LogLevel.Warning, "Sending to {Endpoint} failed ({Outcome}); retry {Attempt} in {Delay}.")]
    public static partial void RetryScheduled(ILogger logger, string endpoint, string outcome, int attempt, TimeSpan delay);

    [LoggerMessage(3006, LogLevel.Error, "The delivery loop failed unexpectedly and restarts after {Delay}.")]
    public static partial void DeliveryLoopFailed(ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(3007, LogLevel.Warning, "Shutdown did not finish delivering within {Timeout}; unsent records stay queued on disk for the next start, or, where the queue is in memory, are dropped and counted (Disposed).")]
    public static partial void ShutdownTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(4001, LogLevel.Warning, "Flushing on application stop did not finish within {Timeout}; what is left is tried again while the client is disposed, and otherwise stays queued for the next start.")]
    public static partial void StopFlushTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(4002, LogLevel.Warning, "The host stopped waiting before flushing on application stop finished; what is left is tried again while the client is disposed, and otherwise stays queued for the next start.")]
    public static partial void StopFlushAbandoned(ILogger logger);

    [LoggerMessage(1010, LogLevel.Warning, "{Count} profile updates held while the user was anonymous were dropped ({Reason}).")]
    public static partial void HeldProfileUpdatesDropped(ILogger logger, int count, DropReason reason);

    [LoggerMessage(2002, LogLevel.Warning, "{Count} records were found damaged or missing in the queue on disk and were skipped.")]
    public static partial void QueueDamagedRecords(ILogger logger, long count);

    [LoggerMessage(2007, LogLevel.Warning, "{Count} new records were dropped: storage is failing or the queue's writer is stalled, and the records waiting in memory are at MixpanelOptions.TrackMemoryBudgetBytes. Logged at most once a minute.")]
    public static partial void IntakeFull(ILogger logger, long count);

    [LoggerMessage(2009, LogLevel.Warning, "Every queue slot in the storage directory is taken by other processes; records are kept in memory for this process.")]
    public static partial void QueueSlotsTaken(ILogger logger);

    [LoggerMessage(2010, LogLevel.Warning, "A {Endpoint} record could not be written as JSON ({Problem}) and was dropped.")]
    public static partial void RecordUnwritable(ILogger logger, string endpoint, string problem);

    [LoggerMessage(2011, LogLevel.Warning, "A queue file of {Endpoint} could not be read; trying again in {Delay}.")]
    public static partial void QueueReadFailed(ILogger logger, string endpoint, TimeSpan delay, Exception exception);

    [LoggerMessage(2012, LogLevel.Error, "A queue file of {Endpoint} could not be read after several attempts; its records were given up on and counted.")]
    public static partial void QueueFileSkipped(ILogger logger, string endpoint, Exception exception);

    [LoggerMessage(3003, LogLevel.Warning, "Mixpanel rejected {Count} records sent to {Endpoint} ({Why}); their indexes in the request: {Indexes}.")]
    public static partial void RecordsRejected(ILogger logger, int count, string endpoint, string why, string indexes);

    [LoggerMessage(3004, LogLevel.Error, "Mixpanel answered HTTP {StatusCode} on {Endpoint} ({Why}). Delivery has stopped; records stay queued for a client with a corrected configuration.")]
    public static partial void DeliveryHalted(ILogger logger, int statusCode, string endpoint, string why);

    [LoggerMessage(3005, LogLevel.Information, "Mixpanel refused {Count} records sent to {Endpoint} as a whole ({Why}); sending them in halves.")]
    public static partial void BatchSplit(ILogger logger, int count, string endpoint, string why);

    [LoggerMessage(3009, LogLevel.Warning, "The delivery loop did not finish its last write within {Grace} of stopping; disposal returns without it.")]
    public static partial void StopAbandoned(ILogger logger, TimeSpan grace);

    [LoggerMessage(1011, LogLevel.Error, "The storage directory {Directory} is refused because {Reason}; identity and queue are kept in memory for this process.")]
    public static partial void StorageRefused(ILogger logger, string directory, string reason);

    [LoggerMessage(3010, LogLevel.Warning, "FlushAsync returned after {Timeout} with {Queued} records still queued; they are delivered in the background.")]
    public static partial void FlushTimedOut(ILogger logger, TimeSpan timeout, long queued);

    [LoggerMessage(1012, LogLevel.Warning, "MixpanelOptions.DeviceIdProvider gave an id Mixpanel would refuse; a random device id was made instead.")]
    public static partial void DeviceIdRefused(ILogger logger);

    [LoggerMessage(1013, LogLevel.Warning, "MixpanelOptions.DeviceIdProvider threw; a random device id was made instead.")]
    public static partial void DeviceIdProviderFailed(ILogger logger, Exception exception);

    [LoggerMessage(1014, LogLevel.Error, "The {Hook} hook threw; the record was dropped rather than sent unfiltered.")]
    public static partial void HookFailed(ILogger logger, string hook, Exception exception);

    [LoggerMessage(1015, LogLevel.Warning, "MixpanelOptions.DeviceInfo threw; events go without screen and Wi-Fi properties until the next refresh.")]
    public static partial void DeviceInfoFailed(ILogger logger, Exception exception);

    [LoggerMessage(1017, LogLevel.Error, "A call made while the client was starting failed when it was applied; the calls after it go on.")]
    public static partial void EarlyCallFailed(ILogger logger, Exception exception);

    [LoggerMessage(1018, LogLevel.Critical, "The client could not start; {Lost} calls made while it was starting are dropped, so is every later call (counted as StartFailed), and reading its identity throws.")]
    public static partial void StartFailed(ILogger logger, int lost, Exception exception);

    [LoggerMessage(4003, LogLevel.Information, "The process is exiting without the client having been disposed; delivering what is queued within {Timeout}.")]
    public static partial void ProcessExiting(ILogger logger, TimeSpan timeout);

    [LoggerMessage(1016, LogLevel.Warning, "A profile update for a visitor who is not signed in was dropped: an anonymous profile loses its properties when the visitor is identified.")]
    public static partial void ProfileUpdateWithoutUser(ILogger logger);

    [LoggerMessage(4004, LogLevel.Information, "Import request of {Count} events: {Outcome}; retry {Attempt} in {Delay}.")]
    public static partial void ImportRetry(ILogger logger, int count, string outcome, int attempt, TimeSpan delay);

    [LoggerMessage(4005, LogLevel.Warning, "Mixpanel refused {Count} of {Sent} imported events ({Why}); their reasons are in the import's result.")]
    public static partial void ImportRejected(ILogger logger, int count, int sent, string why);

    [LoggerMessage(4020, LogLevel.Warning, "Flushing on application stop did not finish within {Timeout}; what is left is tried again while the client is disposed. The queue is in memory: the records still undelivered then are dropped and counted (Disposed).")]
    public static partial void StopFlushTimedOutInMemory(ILogger logger, TimeSpan timeout);

    [LoggerMessage(4021, LogLevel.Warning, "The host stopped waiting before flushing on application stop finished; what is left is tried again while the client is disposed. The queue is in memory: the records still undelivered then are dropped and counted (Disposed).")]
    public static partial void StopFlushAbandonedInMemory(ILogger logger);

    [LoggerMessage(1020, LogLevel.Warning, "The app events' state could not be saved; the first open or the update just tracked may be tracked again at the next start.")]
    public static partial void AppEventsStateNotSaved(ILogger logger, Exception exception);
    [LoggerMessage(5001, LogLevel.Warning, "Feature flag definitions could not be fetched ({Reason}); the last ones fetched stay in use and the next poll tries again.")]
    public static partial void FlagDefinitionsFailed(ILogger logger, string reason);

    [LoggerMessage(5002, LogLevel.Warning, "The feature flag '{FlagKey}' has {Count} rollout(s) targeting a cohort; local evaluation skips them (only Mixpanel knows who is in a cohort). Use remote evaluation for cohort targeting.")]
    public static partial void FlagCohortRolloutsSkipped(ILogger logger, string flagKey, int count);

    [LoggerMessage(5003, LogLevel.Warning, "The feature flag '{FlagKey}' could not be evaluated remotely ({Reason}); the fallback was returned.")]
    public static partial void FlagRemoteFailed(ILogger logger, string flagKey, string reason);

    [LoggerMessage(5004, LogLevel.Warning, "The exposure of feature flag '{FlagKey}' could not be tracked: {Reason}")]
    public static partial void FlagExposureRefused(ILogger logger, string flagKey, string reason);
}
