using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Users;

/// <summary>
/// The identity calls of a device's client as the app makes them: each argument checked as Mixpanel requires (an
/// <see cref="ArgumentException"/> naming it), then handed to the session, at once or, while the client is still
/// loading its stored identity, once it has (<see cref="SessionStart"/>). One home for these checks, behind
/// <c>MixpanelClient</c> and behind the fake of it in the Testing package, so that the two refuse the same calls.
/// <paramref name="identityChanged"/> hears of a login (false: <c>Identify</c>, or opting in as a user) and a reset
/// (true), after the session has them: the flags are fetched again for the new identity.
/// </summary>
/// <remarks>
/// An event or a timer made before the session is there keeps the time of its call. <c>Alias</c> and
/// <c>Register</c>, whose checks read the identity, wait for it.
/// </remarks>
internal sealed class IdentityCalls(SessionStart start, IdMergeApi idMerge, TimeProvider clock, Action<bool> identityChanged)
{
    public void Track(string eventName, IReadOnlyDictionary<string, object?>? properties)
    {
        EventProperties.RequireName(eventName, nameof(eventName));
        var snapshot = PropertyValues.Snapshot(properties, nameof(properties));
        if (start.Session is { } session)
        {
            session.Track(eventName, snapshot);
            return;
        }

        TrackLater(eventName, snapshot);
    }

    public void Identify(string userId)
    {
        DistinctIds.ValidateUserId(userId, nameof(userId));
        var calledAt = clock.GetUtcNow();
        start.Run(session =>
        {
            session.Identify(userId, calledAt);
            identityChanged(false);
        });
    }

    public void Alias(string alias)
    {
        if (idMerge == IdMergeApi.Simplified)
        {
            throw new NotSupportedException(
                "Alias is not available with Simplified ID Merge: Mixpanel ignores $create_alias there and links a device to a user " +
                "by the $device_id and $user_id on events. Call Identify(userId) on login instead.");
        }

        DistinctIds.ValidateUserId(alias, nameof(alias));
        start.Wait().Alias(alias);
    }

    public void Reset() => start.Run(
        session =>
        {
            session.Reset();
            identityChanged(true);
        },
        records: false);

    public void Register(IReadOnlyDictionary<string, object?> properties, bool onlyIfAbsent)
    {
        var snapshot = SnapshotSuperProperties(properties);
        start.Wait().Register(snapshot, onlyIfAbsent);
    }

    public void Unregister(string propertyName)
    {
        PropertyValues.ValidateName(propertyName, nameof(propertyName));
        start.Run(session => session.Unregister(propertyName), records: false);
    }

    public void ClearSuperProperties() => start.Run(static session => session.Unregister(null), records: false);

    public void TimeEvent(string eventName)
    {
        EventProperties.RequireName(eventName, nameof(eventName));
        var calledAt = clock.GetUtcNow();
        start.Run(session => session.TimeEvent(eventName, calledAt), records: false);
    }

    public void ClearTimedEvents() => start.Run(static session => session.ClearTimedEvents(), records: false);

    public void OptOut(bool deleteUser) => start.Run(session => session.OptOut(deleteUser), records: deleteUser);

    public void OptIn(string? distinctId, IReadOnlyDictionary<string, object?>? properties)
    {
        if (distinctId is not null)
        {
            DistinctIds.ValidateUserId(distinctId, nameof(distinctId));
        }

        var snapshot = PropertyValues.Snapshot(properties, nameof(properties));
        var calledAt = CheckEventProperties(snapshot, nameof(properties));
        start.Run(session =>
        {
            session.OptIn(distinctId, snapshot, calledAt);
            if (distinctId is not null)
            {
                identityChanged(false);
            }
        });
    }

    // Apart from Track, so that its closure is made only for an event made before the session is there.
    private void TrackLater(string eventName, PropertyMap properties)
    {
        var calledAt = CheckEventProperties(properties, nameof(properties));
        start.Run(session => session.Track(eventName, properties, calledAt));
    }

    // The checks the session makes of an event's properties, made at the call so that their exception is the caller's
    // even when the event is recorded later; returns the time of the call.
    private DateTimeOffset CheckEventProperties(PropertyMap properties, string paramName)
    {
        var calledAt = clock.GetUtcNow();
        var time = calledAt.ToUnixTimeMilliseconds();
        _ = EventProperties.ApplyOverrides(properties, paramName, ref time);
        return calledAt;
    }

    private static PropertyMap SnapshotSuperProperties(IReadOnlyDictionary<string, object?> properties)
    {
        Guard.NotNull(properties);
        var snapshot = PropertyValues.Snapshot(properties, nameof(properties));
        foreach (var managed in ReservedNames.ManagedEventProperties)
        {
            if (snapshot.ContainsKey(managed))
            {
                throw new ArgumentException(
                    $"'{managed}' is set by the client on every event and cannot be a super property. Use Identify for the user's id.",
                    nameof(properties));
            }
        }

        return snapshot;
    }
}
