namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>Mixpanel's ingestion limits, as written down in the project's MIXPANEL.md (from Mixpanel's ingestion docs).</summary>
internal static class IngestionLimits
{
    // The docs say 10 MB for /import in prose but the 413 example names 2,097,152 bytes; every endpoint here holds to the
    // smaller figure so a client that passes this server passes Mixpanel.
    public const int MaxBodyBytes = 2 * 1024 * 1024;

    // Deflate grows incompressible input by 5 bytes per 64 KiB stored block plus an 18-byte gzip frame, so a compressed body
    // larger than this cannot decompress to MaxBodyBytes or less: reading stops there without inflating anything.
    public const int MaxCompressedBodyBytes = MaxBodyBytes + (64 * 1024);

    // A client sending a body far beyond the limit gets its connection closed rather than being read forever.
    public const long MaxDrainBytes = 64L * 1024 * 1024;

    // "events per request: 2000"; profile updates per request likewise.
    public const int MaxRecordsPerRequest = 2000;

    // "one event < 1 MB uncompressed JSON", profile updates "each ≤ 1 MB": read as decimal megabytes, the stricter reading.
    public const int MaxRecordBytes = 1_000_000;

    // "properties per event < 255".
    public const int MaxEventProperties = 254;

    // "nested object < 255 keys, depth ≤ 3; arrays < 255 elements": a property's value is nesting level 1.
    public const int MaxNestedChildren = 254;
    public const int MaxNestingDepth = 3;

    // "$insert_id ≤ 36 bytes, only [A-Za-z0-9-]".
    public const int MaxInsertIdLength = 36;

    // "time: seconds or milliseconds since epoch": below 10^11 a value cannot be milliseconds after 1973, so it is seconds.
    public const double SecondsThreshold = 100_000_000_000d;

    // "before 1971 ... is rejected": 1971-01-01T00:00:00Z.
    public const long MinTimeMilliseconds = 31_536_000_000L;

    // "> 1 h in the future is rejected".
    public const long MaxFutureMilliseconds = 60L * 60 * 1000;

    // "/track: last 5 days only; older must go through /import".
    public const long MaxTrackAgeMilliseconds = 5L * 24 * 60 * 60 * 1000;
}
