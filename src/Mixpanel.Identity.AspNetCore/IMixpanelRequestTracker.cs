namespace Mixpanel.Identity.AspNetCore;

/// <summary>
/// Tracks for the visitor of the current request: a scoped service that <c>app.UseMixpanel()</c> sets up for every
/// request. Take it in a handler, a controller or a page. Its visitor continues the anonymous id of Mixpanel's browser
/// library when the page runs it, carries the signed-in user's id, the client's address, and the browser, OS, device,
/// page, referrer and campaign of the request.
/// </summary>
/// <remarks>
/// Call <see cref="Identify"/> where the user signs up or logs in, and <see cref="Reset"/> where they log out, as the
/// browser library's <c>identify</c> and <c>reset</c> are called in the page. Every member records and returns at once.
/// </remarks>
public interface IMixpanelRequestTracker
{
    /// <summary>Who this request's events are about; it changes with <see cref="Identify"/> and <see cref="Reset"/>.</summary>
    /// <exception cref="InvalidOperationException">The request did not pass through <c>app.UseMixpanel()</c>.</exception>
    MixpanelVisitor Visitor { get; }

    /// <summary>The profile of the request's signed-in user; updates go with the client's address (<c>$ip</c>). For a visitor who is not signed in they are dropped and counted (<see cref="DropReason.NotIdentified"/>).</summary>
    /// <exception cref="InvalidOperationException">The request did not pass through <c>app.UseMixpanel()</c>.</exception>
    MixpanelPeople People { get; }

    /// <summary>Records an event of the visitor. A crawler's event is skipped and counted unless <see cref="MixpanelWebOptions.TrackCrawlers"/>.</summary>
    /// <param name="eventName">The event name.</param>
    /// <param name="properties">The event's own properties; they win over the request's.</param>
    /// <exception cref="ArgumentException">The name, or a property, is one Mixpanel cannot take.</exception>
    /// <exception cref="InvalidOperationException">The request did not pass through <c>app.UseMixpanel()</c>.</exception>
    void Track(string eventName, IReadOnlyDictionary<string, object?>? properties = null);

    /// <summary>
    /// The visitor has signed up or logged in as <paramref name="userId"/>: the rest of the request's events carry it,
    /// and under Original ID Merge <c>$identify</c> links the visitor's anonymous id to the user. The anonymous id (and
    /// its cookie) stays. Later requests take the user id from the signed-in principal's claim.
    /// </summary>
    /// <param name="userId">The user's stable id, such as a database key: the value of the claim <see cref="MixpanelWebOptions.UserIdClaimType"/>.</param>
    /// <exception cref="ArgumentException">The id is one Mixpanel would refuse.</exception>
    /// <exception cref="InvalidOperationException">The request did not pass through <c>app.UseMixpanel()</c>.</exception>
    void Identify(string userId);

    /// <summary>
    /// The visitor has logged out: they become a new anonymous visitor with a new anonymous id, so that the next person
    /// on the browser is not taken for them. The id goes into the server's cookie and into the cookie of Mixpanel's
    /// browser library, which starts the next page as that visitor whether or not the page calls its <c>reset()</c>; if
    /// the page already reset the library, the library's new id is the one kept. The rest of the request's events go
    /// under the new id. Call it before the response starts.
    /// </summary>
    /// <exception cref="InvalidOperationException">The request did not pass through <c>app.UseMixpanel()</c>.</exception>
    void Reset();

    /// <summary>A group's profile, to update it.</summary>
    /// <param name="groupKey">The group key.</param>
    /// <param name="groupId">The group's id: a string or an integer.</param>
    /// <exception cref="ArgumentException">The key or id is one Mixpanel cannot take.</exception>
    MixpanelGroup GetGroup(string groupKey, object groupId);
}
