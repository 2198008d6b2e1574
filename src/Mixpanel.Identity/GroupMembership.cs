using System.Globalization;

namespace Mixpanel.Identity;

/// <summary>
/// What joining and leaving one group of a group key mean, as Mixpanel's browser and mobile libraries do them: the
/// key's super property holds the list of the user's groups, and the profile gets the same change (<c>$union</c>,
/// <c>$remove</c>). The one home of the rule, for the client and for the fake of it in the Testing package.
/// </summary>
internal static class GroupMembership
{
    public static void Add(IMixpanelClient client, string groupKey, object groupId)
    {
        var id = MixpanelGroup.ValidateGroup(groupKey, groupId);
        var ids = IdsOf(client.SuperProperties, groupKey);
        if (!ids.Contains(id))
        {
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

    /// <summary>The ids the super property of <paramref name="groupKey"/> holds now, as strings.</summary>
    private static List<object> IdsOf(IReadOnlyDictionary<string, object?> superProperties, string groupKey) =>
        superProperties.TryGetValue(groupKey, out var value) && value is IEnumerable<object?> list
            ? [.. list.Where(static id => id is not null).Select(static id => (object)Convert.ToString(id, CultureInfo.InvariantCulture)!)]
            : value is string or long or int ? [Convert.ToString(value, CultureInfo.InvariantCulture)!] : [];
}
