namespace Mixpanel.Identity.Protocol;

/// <summary>Mixpanel's ingestion limits, from its ingestion API reference (numbers as documented there).</summary>
internal static class MixpanelLimits
{
    /// <summary>Properties per event must be fewer than 255.</summary>
    public const int MaxPropertiesPerRecord = 254;

    /// <summary>Nested objects and lists: fewer than 255 keys or elements.</summary>
    public const int MaxCollectionCount = 254;

    /// <summary>Nested objects: depth at most 3.</summary>
    public const int MaxNestingDepth = 3;

    /// <summary>String values are truncated to 255 characters (the official SDKs truncate before queueing).</summary>
    public const int MaxStringLength = 255;

    /// <summary>Property names: at most 255 characters ("Events FAQ" and "User Profiles FAQ").</summary>
    public const int MaxPropertyNameLength = 255;

    /// <summary><c>$insert_id</c>: at most 36 characters of <c>[A-Za-z0-9-]</c>.</summary>
    public const int MaxInsertIdLength = 36;

    /// <summary>Records per request on every endpoint.</summary>
    public const int MaxRecordsPerRequest = 2000;

    /// <summary>
    /// Request body limit. The import reference says 10 MB, but its 413 example names 2,097,152 bytes; we keep to the
    /// smaller number.
    /// </summary>
    public const int MaxRequestBytes = 2 * 1024 * 1024;

    /// <summary><c>/import</c> takes up to 10 MB of uncompressed JSON per request (its reference, "Import Events").</summary>
    public const int MaxImportRequestBytes = 10 * 1024 * 1024;

    /// <summary>One event must be under 1 MB of uncompressed JSON.</summary>
    public const int MaxRecordBytes = 1_000_000;

    /// <summary><c>/track</c> accepts events from the last 5 days only; older ones need <c>/import</c>.</summary>
    public static readonly TimeSpan MaxTrackEventAge = TimeSpan.FromDays(5);

    /// <summary>An event <c>time</c> more than an hour ahead is refused.</summary>
    public static readonly TimeSpan MaxEventTimeAhead = TimeSpan.FromHours(1);

    /// <summary>An event <c>time</c> before 1971-01-01T00:00:00Z is refused (in milliseconds since the Unix epoch).</summary>
    public const long MinEventTimeMilliseconds = 31_536_000_000L;

    /// <summary>
    /// <c>time</c> is seconds or milliseconds since the epoch: a value below 10^11 cannot be milliseconds after 1973,
    /// so it is read as seconds.
    /// </summary>
    public const long SecondsThreshold = 100_000_000_000L;

    /// <summary>Original ID Merge: at most 500 ids per identity cluster ("Identifying Users (Original)", FAQ).</summary>
    public const int MaxIdsPerCluster = 500;
}
