namespace Mixpanel.Identity;

// The user's groups: a super property of each group key, mirrored on the profile. The class's summary is the one in
// MixpanelClient.cs: a second summary here would replace it in IntelliSense.
public sealed partial class MixpanelClient
{
    /// <inheritdoc />
    public void SetGroup(string groupKey, object groupId) => SetGroup(groupKey, [groupId]);

    /// <summary>
    /// Puts the user in groups, replacing the groups of <paramref name="groupKey"/>: registers them as a super property
    /// (a list) and sets them on the profile.
    /// </summary>
    /// <param name="groupKey">The group key, as set up in the project (such as <c>company_id</c>).</param>
    /// <param name="groupIds">The groups' ids: strings or integers, sent as strings.</param>
    /// <exception cref="ArgumentException">The key is empty, an id is neither a non-empty string nor an integer, or there are more than 254 of them.</exception>
    public void SetGroup(string groupKey, IEnumerable<object> groupIds) => GroupMembership.Set(this, groupKey, groupIds);

    /// <summary>Adds the user to a group of <paramref name="groupKey"/>, keeping the others (the super property's list, and <c>$union</c> on the profile).</summary>
    /// <param name="groupKey">The group key.</param>
    /// <param name="groupId">The group's id: a string or an integer.</param>
    /// <exception cref="ArgumentException">The key is empty, the id is neither a non-empty string nor an integer, or the user is in 254 groups of the key already.</exception>
    public void AddGroup(string groupKey, object groupId) => GroupMembership.Add(this, groupKey, groupId);

    /// <summary>Takes the user out of a group of <paramref name="groupKey"/> (from the super property's list, and <c>$remove</c> on the profile).</summary>
    /// <param name="groupKey">The group key.</param>
    /// <param name="groupId">The group's id: a string or an integer.</param>
    /// <exception cref="ArgumentException">The key is empty, or the id is neither a non-empty string nor an integer.</exception>
    public void RemoveGroup(string groupKey, object groupId) => GroupMembership.Remove(this, groupKey, groupId);

    /// <summary>Records an event in groups of its own, whatever groups the user is in: each key's ids win over the properties and super properties.</summary>
    /// <param name="eventName">The event name.</param>
    /// <param name="properties">The event's own properties.</param>
    /// <param name="groups">Group key → a group id, or several.</param>
    /// <exception cref="ArgumentException">The name, a property or a group is invalid.</exception>
    public void TrackWithGroups(string eventName, IReadOnlyDictionary<string, object?>? properties, IReadOnlyDictionary<string, object> groups) =>
        Track(eventName, GroupMembership.WithGroups(properties, groups));
}
