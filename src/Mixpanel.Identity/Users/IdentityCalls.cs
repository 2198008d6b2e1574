using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Users;

/// <summary>
/// The identity calls of a device's client as the app makes them: each argument checked as Mixpanel requires (an
/// <see cref="ArgumentException"/> naming it), then handed to the session. One home for these checks, behind
/// <c>MixpanelClient</c> and behind the fake of it in the Testing package, so that the two refuse the same calls.
/// <paramref name="identityChanged"/> hears of a login (false) and a reset (true), after the session has them: the
/// flags are fetched again for the new identity.
/// </summary>
internal sealed class IdentityCalls(IdentitySession session, IdMergeApi idMerge, Action<bool> identityChanged)
{
    public void Track(string eventName, IReadOnlyDictionary<string, object?>? properties)
    {
        EventProperties.RequireName(eventName, nameof(eventName));
        session.Track(eventName, PropertyValues.Snapshot(properties, nameof(properties)));
    }

    public void Identify(string userId)
    {
        DistinctIds.ValidateUserId(userId, nameof(userId));
        session.Identify(userId);
        identityChanged(false);
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
        session.Alias(alias);
    }

    public void Reset()
    {
        session.Reset();
        identityChanged(true);
    }

    public void Register(IReadOnlyDictionary<string, object?> properties, bool onlyIfAbsent) =>
        session.Register(SnapshotSuperProperties(properties), onlyIfAbsent);

    public void Unregister(string propertyName)
    {
        PropertyValues.ValidateName(propertyName, nameof(propertyName));
        session.Unregister(propertyName);
    }

    public void ClearSuperProperties() => session.Unregister(null);

    public void TimeEvent(string eventName)
    {
        EventProperties.RequireName(eventName, nameof(eventName));
        session.TimeEvent(eventName);
    }

    public void ClearTimedEvents() => session.ClearTimedEvents();

    public void OptOut(bool deleteUser) => session.OptOut(deleteUser);

    public void OptIn(string? distinctId, IReadOnlyDictionary<string, object?>? properties)
    {
        if (distinctId is not null)
        {
            DistinctIds.ValidateUserId(distinctId, nameof(distinctId));
        }

        session.OptIn(distinctId, PropertyValues.Snapshot(properties, nameof(properties)));
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
