namespace Mixpanel.Identity.Testing;

/// <summary>What an <see cref="IdentityFinding"/> is about: a pattern in the records that will make Mixpanel count users differently from how the app sees them.</summary>
public enum IdentityFindingKind
{
    /// <summary>A device carried one user id and then another, with no reset in between.</summary>
    SecondUserOnDevice,

    /// <summary>Profile updates were sent to an anonymous id, which creates a separate profile whose properties are lost when the id is linked to a user.</summary>
    AnonymousProfile,

    /// <summary>A user's profile is hidden because its id is no longer the canonical id of its cluster; its properties are not copied.</summary>
    OrphanedProfile,

    /// <summary>Original ID Merge: an identity cluster holds 400 ids or more, close to Mixpanel's limit of 500.</summary>
    ClusterNearLimit,

    /// <summary>Original ID Merge: merges were refused because the cluster would exceed 500 ids; the ids left out stay separate users.</summary>
    ClusterLimitReached,

    /// <summary>The same user was identified from several fresh device ids: reset is called while the same user stays signed in.</summary>
    RepeatedReset,

    /// <summary>An id looks like an email address or a phone number, which can change; ids must never change.</summary>
    PersonalDataAsId,

    /// <summary>Events tracked after a logout on the same device still belong to the user who logged out.</summary>
    EventsAfterLogout,

    /// <summary>Original ID Merge: an <c>$identify</c> event that Mixpanel ignores, for example because its anonymous id is already merged with another user.</summary>
    IdentifyIgnored,

    /// <summary>A <c>$create_alias</c> or <c>$merge</c> event that has no effect.</summary>
    IdentityEventIgnored,

    /// <summary>
    /// Events tracked after a user logged out, by time, still land on that user: the next person on the browser is counted as
    /// the user who left. Seen when a server's logout event carries the browser library's freshly reset device id with the
    /// old user id (Simplified ID Merge links them), or when the page's library is never reset.
    /// </summary>
    EventsAfterLogoutOnPreviousUser,

    /// <summary>
    /// A user made only of server-side page views while a browser library sends events too: the server tracked a device id the
    /// page's library never adopted, so every such visit counts as an extra user and funnels break at their first step.
    /// </summary>
    ServerPageViewsOnly,

    /// <summary>
    /// One browser's anonymous events (the same address and browser, server and browser library side by side) are split
    /// across two users: the server and the page's library each keep a device id of their own.
    /// </summary>
    BrowserSplitAcrossUsers,
}
