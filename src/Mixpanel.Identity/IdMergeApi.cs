namespace Mixpanel.Identity;

/// <summary>
/// The identity-merge system of the Mixpanel project the client sends to. A project cannot switch once it has data.
/// </summary>
public enum IdMergeApi
{
    /// <summary>
    /// Original ID Merge: identities are linked by <c>$identify</c>, <c>$create_alias</c> and <c>$merge</c> events, at most
    /// 500 ids per cluster. The client sends <c>$identify</c> and stamps <c>$device_id</c>/<c>$user_id</c>, which is right for
    /// projects on either system.
    /// </summary>
    Original = 0,

    /// <summary>
    /// Simplified ID Merge: identities are linked by <c>$device_id</c> and <c>$user_id</c> on the same event; the
    /// canonical distinct id is the user id. The client sends no <c>$identify</c>/<c>$create_alias</c> events.
    /// </summary>
    Simplified = 1,
}
