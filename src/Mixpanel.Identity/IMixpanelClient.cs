namespace Mixpanel.Identity;

/// <summary>
/// The Mixpanel client as apps use it: who the user is, what they do, and their profile. Implemented by
/// <see cref="MixpanelClient"/>; depend on this interface to substitute the client in your own tests.
/// </summary>
public interface IMixpanelClient
{
    /// <summary>The distinct id events are sent under: the user id once identified, <c>$device:</c> + <see cref="DeviceId"/> before.</summary>
    string DistinctId { get; }

    /// <summary>This device's id: a random UUID made on first run and replaced by <see cref="Reset"/>.</summary>
    string DeviceId { get; }

    /// <summary>The id given to <see cref="Identify"/>; null while the user is anonymous.</summary>
    string? UserId { get; }

    /// <summary>Whether the user has opted out of tracking.</summary>
    bool IsOptedOut { get; }

    /// <summary>Properties sent with every event, as registered (a snapshot).</summary>
    IReadOnlyDictionary<string, object?> SuperProperties { get; }

    /// <summary>The user's profile.</summary>
    MixpanelPeople People { get; }

    /// <summary>Counters of accepted, sent, retried, queued and dropped records.</summary>
    MixpanelDiagnostics Diagnostics { get; }

    /// <summary>Mixpanel's feature flags for this device's person; the Testing package's fake answers scripted variants.</summary>
    MixpanelClientFlags Flags { get; }

    /// <summary>Records an event.</summary>
    /// <param name="eventName">The event name.</param>
    /// <param name="properties">The event's own properties; they win over super properties.</param>
    void Track(string eventName, IReadOnlyDictionary<string, object?>? properties = null);

    /// <summary>Tells Mixpanel who the user is: call on sign-up, on login, and when the app starts logged in.</summary>
    /// <param name="userId">The user's stable id, such as a database key; never an email address or phone number, which change.</param>
    void Identify(string userId);

    /// <summary>Links <paramref name="alias"/> to the current distinct id (Original ID Merge only; a legacy call).</summary>
    /// <param name="alias">The id to link.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716", Justification = "Mixpanel's own name for the call, used by every Mixpanel SDK.")]
    void Alias(string alias);

    /// <summary>Forgets the user on this device: call on logout, never on app start or profile switch.</summary>
    void Reset();

    /// <summary>Adds or replaces super properties.</summary>
    /// <param name="properties">The properties.</param>
    void Register(IReadOnlyDictionary<string, object?> properties);

    /// <summary>Adds super properties that are not set yet.</summary>
    /// <param name="properties">The properties.</param>
    void RegisterOnce(IReadOnlyDictionary<string, object?> properties);

    /// <summary>Removes a super property.</summary>
    /// <param name="propertyName">The property's name.</param>
    void Unregister(string propertyName);

    /// <summary>Removes every super property.</summary>
    void ClearSuperProperties();

    /// <summary>Starts a timer: the next <see cref="Track"/> of <paramref name="eventName"/> carries <c>$duration</c> in seconds.</summary>
    /// <param name="eventName">The event to time.</param>
    void TimeEvent(string eventName);

    /// <summary>Stops every event timer.</summary>
    void ClearTimedEvents();

    /// <summary>
    /// Opts the user out: an identified user's profile is deleted, pending records are discarded and nothing more is
    /// recorded until <see cref="OptInTracking()"/>.
    /// </summary>
    void OptOutTracking();

    /// <summary>Opts the user out, deleting their profile (<c>$delete</c>) or not.</summary>
    /// <param name="deleteUser">Whether an identified user's profile is deleted.</param>
    void OptOutTracking(bool deleteUser);

    /// <summary>Opts the user back in and tracks <c>$opt_in</c>.</summary>
    void OptInTracking();

    /// <summary>Opts the user back in, identified as <paramref name="distinctId"/> if given, and tracks <c>$opt_in</c> with <paramref name="properties"/>.</summary>
    /// <param name="distinctId">The user's id, or null.</param>
    /// <param name="properties">Properties of the <c>$opt_in</c> event.</param>
    void OptInTracking(string? distinctId, IReadOnlyDictionary<string, object?>? properties = null);

    /// <summary>Puts the user in a group: registers the group as a super property and sets it on the profile.</summary>
    /// <param name="groupKey">The group key, as set up in the project (such as <c>company_id</c>).</param>
    /// <param name="groupId">The group's id: a string or an integer.</param>
    void SetGroup(string groupKey, object groupId);

    /// <summary>Puts the user in groups of <paramref name="groupKey"/>, replacing the ones they were in.</summary>
    /// <param name="groupKey">The group key.</param>
    /// <param name="groupIds">The groups' ids: strings or integers.</param>
    void SetGroup(string groupKey, IEnumerable<object> groupIds);

    /// <summary>Adds the user to a group of <paramref name="groupKey"/>, keeping the others.</summary>
    /// <param name="groupKey">The group key.</param>
    /// <param name="groupId">The group's id: a string or an integer.</param>
    void AddGroup(string groupKey, object groupId);

    /// <summary>Takes the user out of a group of <paramref name="groupKey"/>.</summary>
    /// <param name="groupKey">The group key.</param>
    /// <param name="groupId">The group's id: a string or an integer.</param>
    void RemoveGroup(string groupKey, object groupId);

    /// <summary>Records an event in the given groups, whatever groups the user is in.</summary>
    /// <param name="eventName">The event name.</param>
    /// <param name="properties">The event's own properties.</param>
    /// <param name="groups">Group key → a group id, or several.</param>
    void TrackWithGroups(string eventName, IReadOnlyDictionary<string, object?>? properties, IReadOnlyDictionary<string, object> groups);

    /// <summary>The app is going to the background: what is queued is sent now, in the background. Returns at once.</summary>
    void OnAppBackgrounded();

    /// <summary>A group's profile, to update it.</summary>
    /// <param name="groupKey">The group key.</param>
    /// <param name="groupId">The group's id: a string or an integer.</param>
    MixpanelGroup GetGroup(string groupKey, object groupId);

    /// <summary>Completes when every record made before the call has been delivered to Mixpanel or dropped (counted).</summary>
    /// <param name="cancellationToken">Ends the wait; records stay queued.</param>
    Task FlushAsync(CancellationToken cancellationToken = default);
}
