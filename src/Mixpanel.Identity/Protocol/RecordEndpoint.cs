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
}

/// <summary>Where each endpoint lives under the API host, and what it is called in logs.</summary>
internal static class RecordEndpoints
{
    public const int Count = 3;

    public static readonly RecordEndpoint[] All = [RecordEndpoint.Track, RecordEndpoint.Engage, RecordEndpoint.Groups];

    /// <summary>The path under the API host, as Mixpanel's ingestion API names it.</summary>
    public static string Path(RecordEndpoint endpoint) => endpoint switch
    {
        RecordEndpoint.Track => "track",
        RecordEndpoint.Engage => "engage",
        _ => "groups",
    };
}
