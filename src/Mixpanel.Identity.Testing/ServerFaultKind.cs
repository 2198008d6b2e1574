namespace Mixpanel.Identity.Testing;

/// <summary>What a <see cref="ServerFault"/> does to the request it is applied to.</summary>
public enum ServerFaultKind
{
    /// <summary>Answers with a fixed status code (and optionally <c>Retry-After</c>); nothing is ingested.</summary>
    Status,

    /// <summary>Reads part of the body, then aborts the connection; nothing is ingested.</summary>
    DropConnection,

    /// <summary>Processes and ingests the request, then aborts the connection instead of answering: a lost acknowledgement.</summary>
    DropResponse,

    /// <summary>Waits on the server's <see cref="TimeProvider"/>, then processes the request normally.</summary>
    Delay,

    /// <summary>Holds the request until the client gives up or the server stops; nothing is ingested.</summary>
    NeverRespond,

    /// <summary>Answers 200 with the headers and the start of a body, then holds the rest until the client gives up; nothing is ingested.</summary>
    StallBody,
}
