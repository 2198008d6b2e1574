using System.Collections;
using System.Globalization;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity;

/// <summary>
/// What joining and leaving one group of a group key mean, as Mixpanel's browser and mobile libraries do them: the
/// key's super property holds the list of the user's groups, and the profile gets the same change (<c>$union</c>,
/// <c>$remove</c>). The one home of the rule, for the client and for the fake of it in the Testing package.
/// </summary>
internal static class GroupMembership
{
    public static void Set(IMixpanelClient client, string groupKey, IEnumerable<object> groupIds)
    {
        var ids = IdsToSet(groupKey, groupIds);
        client.Register(new Dictionary<string, object?>(StringComparer.Ordinal) { [groupKey] = ids });
        client.People.Set(groupKey, ids);
    }

    /// <summary><paramref name="properties"/> with each group key of <paramref name="groups"/> set to its ids (one or a list), checked, as strings.</summary>
    public static Dictionary<string, object?> WithGroups(IReadOnlyDictionary<string, object?>? properties, IReadOnlyDictionary<string, object> groups)
    {
        Guard.NotNull(groups);
        var merged = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in properties ?? PropertyMap.Empty)
        {
            merged[property.Key] = property.Value;
        }

        foreach (var group in groups)
        {
            var ids = group.Value is string or not IEnumerable ? [group.Value] : ((IEnumerable)group.Value).Cast<object>();
            merged[group.Key] = new PropertyList([.. ids.Select(id => (object?)MixpanelGroup.ValidateGroup(group.Key, id, nameof(groups)))]);
        }

        return merged;
    }

    /// <summary>The ids of a <c>SetGroup</c> call, checked, each once, as strings.</summary>
    private static object?[] IdsToSet(string groupKey, IEnumerable<object> groupIds)
    {
        Guard.NotNull(groupIds);
        object?[] ids = [.. groupIds.Select(id => (object?)MixpanelGroup.ValidateGroup(groupKey, id, nameof(groupIds))).Distinct()];
        return ids.Length > MixpanelLimits.MaxCollectionCount ? throw TooManyGroups(nameof(groupIds)) : ids;
    }

    public static void Add(IMixpanelClient client, string groupKey, object groupId)
    {
        var id = MixpanelGroup.ValidateGroup(groupKey, groupId);
        var ids = IdsOf(client.SuperProperties, groupKey);
        if (!ids.Contains(id))
        {
            if (ids.Count == MixpanelLimits.MaxCollectionCount)
            {
                throw TooManyGroups(nameof(groupId));
            }

            ids.Add(id);
            client.Register(new Dictionary<string, object?>(StringComparer.Ordinal) { [groupKey] = ids });
        }

        client.People.Union(groupKey, [id]);
    }

    public static void Remove(IMixpanelClient client, string groupKey, object groupId)
    {
        var id = MixpanelGroup.ValidateGroup(groupKey, groupId);
        var ids = IdsOf(client.SuperProperties, groupKey);
        if (ids.Remove(id))
        {
            if (ids.Count == 0)
            {
                client.Unregister(groupKey);
            }
            else
            {
                client.Register(new Dictionary<string, object?>(StringComparer.Ordinal) { [groupKey] = ids });
            }
        }

        client.People.Remove(groupKey, id);
    }

    private static ArgumentException TooManyGroups(string paramName) =>
        new($"A user can be in at most {MixpanelLimits.MaxCollectionCount} groups of one key: Mixpanel takes lists of fewer than 255 values.", paramName);

    /// <summary>The ids the super property of <paramref name="groupKey"/> holds now, as strings.</summary>
    private static List<object> IdsOf(IReadOnlyDictionary<string, object?> superProperties, string groupKey) =>
        superProperties.TryGetValue(groupKey, out var value) && value is IEnumerable<object?> list
            ? [.. list.Where(static id => id is not null).Select(static id => (object)Convert.ToString(id, CultureInfo.InvariantCulture)!)]
            : value is string or long or int ? [Convert.ToString(value, CultureInfo.InvariantCulture)!] : [];
}
