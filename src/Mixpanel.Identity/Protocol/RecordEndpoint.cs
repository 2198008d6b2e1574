namespace Mixpanel.Identity.Protocol;

/// <summary>The ingestion endpoint a record goes to. The values are stored on disk: never renumber them.</summary>
internal enum RecordEndpoint : byte
{
    /// <summary><c>/track</c>: events, including <c>$identify</c> and <c>$create_alias</c>.</summary>
    Track = 0,

    /// <summary><c>/engage</c>: user profile updates.</summary>
    Engage = 1,

    /// <summary><c>/groups</c>: group profile updates.</summary>
    Groups = 2,

    /// <summary><c>/import</c>: events older than <c>/track</c> takes, sent with the project's credentials.</summary>
    Import = 3,
}

/// <summary>Where each endpoint lives under the API host, and what it is called in logs.</summary>
internal static class RecordEndpoints
{
    public const int Count = 4;

    public static readonly RecordEndpoint[] All = [RecordEndpoint.Track, RecordEndpoint.Engage, RecordEndpoint.Groups, RecordEndpoint.Import];

    /// <summary>The path under the API host, as Mixpanel's ingestion API names it.</summary>
    public static string Path(RecordEndpoint endpoint) => endpoint switch
    {
        RecordEndpoint.Track => "track",
        RecordEndpoint.Engage => "engage",
        RecordEndpoint.Groups => "groups",
        _ => "import",
    };

    /// <summary>Whether Mixpanel takes the endpoint's bodies gzipped (documented for events: <c>/track</c>, <c>/import</c>).</summary>
    public static bool TakesGzip(RecordEndpoint endpoint) => endpoint is RecordEndpoint.Track or RecordEndpoint.Import;

    /// <summary>Whether the endpoint's records are events (and expire from <c>/track</c> after 5 days).</summary>
    public static bool IsEvents(RecordEndpoint endpoint) => endpoint is RecordEndpoint.Track or RecordEndpoint.Import;
}
