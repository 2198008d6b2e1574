using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Users;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity;

/// <summary>A group's profile in Mixpanel (Group Analytics), updated through <c>/groups</c>. Get one from <see cref="MixpanelClient.GetGroup"/>.</summary>
public sealed class MixpanelGroup
{
    private readonly IMixpanelProfileSink _sink;

    /// <summary>
    /// A group profile whose updates, checked as the client checks them, go to <paramref name="sink"/>: for a fake of
    /// <see cref="IMixpanelClient"/>. The client makes its own in <see cref="MixpanelClient.GetGroup"/>.
    /// </summary>
    /// <param name="groupKey">The group key, such as <c>company_id</c>.</param>
    /// <param name="groupId">The group's id: a string or an integer.</param>
    /// <param name="sink">Where the updates go.</param>
    /// <exception cref="ArgumentException">The key is empty, or the id is neither a non-empty string nor an integer.</exception>
    public MixpanelGroup(string groupKey, object groupId, IMixpanelProfileSink sink)
    {
        Guard.NotNull(sink);
        GroupId = ValidateGroup(groupKey, groupId);
        GroupKey = groupKey;
        _sink = sink;
    }

    internal MixpanelGroup(SessionStart start, string groupKey, object groupId)
        : this(groupKey, groupId, new SessionSink(start, groupKey, ValidateGroup(groupKey, groupId)))
    {
    }

    /// <summary>The group key, such as <c>company_id</c>.</summary>
    public string GroupKey { get; }

    /// <summary>The group's id, as it is sent: a string (an integer id is written in digits).</summary>
    public object GroupId { get; }

    /// <summary>Sets group properties, replacing existing values (<c>$set</c>).</summary>
    /// <param name="properties">The properties.</param>
    public void Set(IReadOnlyDictionary<string, object?> properties) => Send(ProfileUpdate.ForProperties(ProfileOperation.Set, properties));

    /// <summary>Sets group properties that are not set yet (<c>$set_once</c>).</summary>
    /// <param name="properties">The properties.</param>
    public void SetOnce(IReadOnlyDictionary<string, object?> properties) => Send(ProfileUpdate.ForProperties(ProfileOperation.SetOnce, properties));

    /// <summary>Adds values to a list group property, skipping those already in it (<c>$union</c>).</summary>
    /// <exception cref="ArgumentException">The list is empty, or holds a value that is neither a string nor a number.</exception>
    /// <param name="name">The property's name.</param>
    /// <param name="values">The values.</param>
    public void Union(string name, IEnumerable<object?> values) => Send(ProfileUpdate.ForUnion(name, values));

    /// <summary>Removes a value from a list group property (<c>$remove</c>).</summary>
    /// <param name="name">The property's name.</param>
    /// <param name="value">The value to remove.</param>
    public void Remove(string name, object? value) => Send(ProfileUpdate.ForProperty(ProfileOperation.Remove, name, value));

    /// <summary>Removes group properties (<c>$unset</c>).</summary>
    /// <param name="names">The properties' names.</param>
    public void Unset(params string[] names) => Send(ProfileUpdate.ForUnset(names));

    /// <summary>Deletes the group's profile (<c>$delete</c>).</summary>
    public void DeleteGroup() => Send(new ProfileUpdate(ProfileOperation.Delete, null));

    /// <summary>
    /// Checks a group key and id; returns the id as it is sent: a string, as Mixpanel's ingestion API types
    /// <c>$group_id</c> (an integer is written in invariant digits).
    /// </summary>
    internal static string ValidateGroup(string groupKey, object groupId) => ValidateGroup(groupKey, groupId, nameof(groupId));

    /// <summary>As <see cref="ValidateGroup(string, object)"/>, naming <paramref name="idParamName"/> in the exception.</summary>
    internal static string ValidateGroup(string groupKey, object groupId, string idParamName)
    {
        PropertyValues.ValidateName(groupKey, nameof(groupKey));
        return groupId switch
        {
            string text when !string.IsNullOrWhiteSpace(text) && WellFormedText.IsWellFormed(text) => text,
            int or long or short or uint or ushort or byte or sbyte or ulong => Convert.ToString(groupId, System.Globalization.CultureInfo.InvariantCulture)!,
            null => throw new ArgumentNullException(idParamName),
            _ => throw new ArgumentException("A group id must be a non-empty string or an integer.", idParamName),
        };
    }

    private void Send(ProfileUpdate? update)
    {
        if (update is not null)
        {
            _sink.Send(new MixpanelProfileUpdate(update));
        }
    }

    private sealed class SessionSink(SessionStart start, string groupKey, object groupId) : IMixpanelProfileSink
    {
        public void Send(MixpanelProfileUpdate update)
        {
            var record = new GroupRecord(update.Update, groupKey, groupId);
            start.Run(session => session.UpdateGroup(record));
        }
    }
}
