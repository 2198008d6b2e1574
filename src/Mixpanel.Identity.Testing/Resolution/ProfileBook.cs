using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mixpanel.Identity.Testing;

/// <summary>
/// User profiles as Mixpanel builds them from <c>/engage</c> updates, each applied to the profile its distinct id resolves to
/// at the moment it is processed. Merges are not retroactive for profiles: a profile whose id later stops being canonical is
/// hidden and its properties are not copied (docs: "Properties from hidden profiles will not automatically be synced",
/// and the Simplified FAQ: properties set on <c>$device:</c> ids "are not preserved when $device_ids are linked").
/// </summary>
/// <remarks>
/// Our choices where Mixpanel's docs are silent: any operation but <c>$delete</c> creates a missing profile;
/// <c>$add</c> of a non-number, or onto a property that is not a number, is ignored; <c>$append</c>, <c>$union</c> and
/// <c>$remove</c> onto a property that is not a list are ignored; <c>$remove</c> takes out every equal element;
/// <c>$delete</c> removes the profile, and a later update starts a new one.
/// </remarks>
internal sealed class ProfileBook
{
    private static readonly string[] Operations =
        ["$set", "$set_once", "$add", "$append", "$union", "$remove", "$unset", "$delete"];

    private readonly Dictionary<string, Profile> _profiles = new(StringComparer.Ordinal);
    private int _created;

    internal IEnumerable<Profile> Profiles => _profiles.Values.OrderBy(profile => profile.Created);

    internal static bool IsOperation(string name) => Array.IndexOf(Operations, name) >= 0;

    /// <summary>Applies a profile update to the profile of <paramref name="distinctId"/> and returns a note for the timeline.</summary>
    internal string Apply(ReceivedRecord record, string distinctId)
    {
        var notes = new List<string>();
        foreach (var operation in record.Json.EnumerateObject())
        {
            if (!IsOperation(operation.Name))
            {
                continue;
            }

            if (operation.Name == "$delete")
            {
                _profiles.Remove(distinctId);
                notes.Add($"$delete: profile {distinctId} deleted");
                continue;
            }

            if (!_profiles.TryGetValue(distinctId, out var profile))
            {
                profile = new Profile(distinctId, _created++);
                _profiles[distinctId] = profile;
            }

            if (profile.Updates.Count == 0 || profile.Updates[^1] != record)
            {
                profile.Updates.Add(record);
            }

            var names = Apply(profile.Properties, operation.Name, operation.Value);
            notes.Add(names.Count == 0 ? operation.Name : $"{operation.Name} {string.Join(", ", names)}");
        }

        return notes.Count == 0 ? "Profile update without an operation" : string.Join("; ", notes);
    }

    private static List<string> Apply(JsonObject properties, string operation, JsonElement value)
    {
        var names = new List<string>();
        if (operation == "$unset")
        {
            if (value.ValueKind == JsonValueKind.Array)
            {
                foreach (var name in value.EnumerateArray().Where(item => item.ValueKind == JsonValueKind.String))
                {
                    properties.Remove(name.GetString()!);
                    names.Add(name.GetString()!);
                }
            }

            return names;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return names;
        }

        foreach (var property in value.EnumerateObject())
        {
            names.Add(property.Name);
            properties.TryGetPropertyValue(property.Name, out var current);
            switch (operation)
            {
                case "$set":
                    properties[property.Name] = ToNode(property.Value);
                    break;
                case "$set_once":
                    if (!properties.ContainsKey(property.Name))
                    {
                        properties[property.Name] = ToNode(property.Value);
                    }

                    break;
                case "$add":
                    if (Add(current, property.Value) is { } sum)
                    {
                        properties[property.Name] = sum;
                    }

                    break;
                case "$append":
                    if (current is null)
                    {
                        properties[property.Name] = new JsonArray(ToNode(property.Value));
                    }
                    else if (current is JsonArray list)
                    {
                        list.Add(ToNode(property.Value));
                    }

                    break;
                case "$union":
                    Union(properties, property.Name, current, property.Value);
                    break;
                case "$remove":
                    if (current is JsonArray items)
                    {
                        var removed = ToNode(property.Value);
                        for (var index = items.Count - 1; index >= 0; index--)
                        {
                            if (JsonNode.DeepEquals(items[index], removed))
                            {
                                items.RemoveAt(index);
                            }
                        }
                    }

                    break;
            }
        }

        return names;
    }

    private static JsonNode? Add(JsonNode? current, JsonElement increment)
    {
        if (increment.ValueKind != JsonValueKind.Number)
        {
            return null;
        }

        if (current is null)
        {
            return ToNode(increment);
        }

        if (current is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        if (value.TryGetValue(out decimal left) && increment.TryGetDecimal(out var right))
        {
            try
            {
                return JsonValue.Create(left + right);
            }
            catch (OverflowException)
            {
                // Beyond decimal's range: fall back on double below.
            }
        }

        return value.TryGetValue(out double leftDouble) ? JsonValue.Create(leftDouble + increment.GetDouble()) : null;
    }

    private static void Union(JsonObject properties, string name, JsonNode? current, JsonElement values)
    {
        if (values.ValueKind != JsonValueKind.Array || (current is not null && current is not JsonArray))
        {
            return;
        }

        if (current is not JsonArray list)
        {
            list = [];
            properties[name] = list;
        }

        foreach (var item in values.EnumerateArray())
        {
            var node = ToNode(item);
            if (!list.Any(existing => JsonNode.DeepEquals(existing, node)))
            {
                list.Add(node);
            }
        }
    }

    private static JsonNode? ToNode(JsonElement element) => JsonNode.Parse(element.GetRawText());

    internal sealed class Profile(string distinctId, int created)
    {
        public string DistinctId { get; } = distinctId;

        public int Created { get; } = created;

        public JsonObject Properties { get; } = [];

        public List<ReceivedRecord> Updates { get; } = [];

        public IReadOnlyDictionary<string, JsonElement> Snapshot()
        {
            var snapshot = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var (name, node) in Properties)
            {
                using var document = JsonDocument.Parse(node?.ToJsonString() ?? "null");
                snapshot[name] = document.RootElement.Clone();
            }

            return snapshot;
        }
    }
}
