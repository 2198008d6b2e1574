namespace Mixpanel.Identity.Testing;

/// <summary>The Mixpanel ingestion endpoint a record was posted to.</summary>
public enum MixpanelEndpoint
{
    /// <summary><c>POST /track</c>: client events, including <c>$identify</c> and <c>$create_alias</c>.</summary>
    Track,

    /// <summary><c>POST /engage</c>: user profile updates.</summary>
    Engage,

    /// <summary><c>POST /groups</c>: group profile updates.</summary>
    Groups,

    /// <summary><c>POST /import</c>: server-side events, including <c>$merge</c>.</summary>
    Import,
}
