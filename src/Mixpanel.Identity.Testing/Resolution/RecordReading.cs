using System.Text.Json;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Testing;

/// <summary>Reads the identity fields Mixpanel looks at from a record.</summary>
internal static class RecordReading
{
    internal static string? GetString(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object
        && element.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    internal static bool IsDeviceId(string id) => id.StartsWith(DistinctIds.DevicePrefix, StringComparison.Ordinal);

    /// <summary>Ids Mixpanel refuses as distinct ids: the server rejects them and they never take part in a merge.</summary>
    internal static bool IsInvalid(string id) => id.Length == 0 || DistinctIds.IsPlaceholder(id);

    /// <summary>The raw device id of a record: <c>$device_id</c>, else the part of a <c>$device:</c> distinct id after the prefix.</summary>
    internal static string? DeviceOf(ReceivedRecord record)
    {
        if (!string.IsNullOrEmpty(record.DeviceId))
        {
            return record.DeviceId;
        }

        return record.DistinctId is { } id && IsDeviceId(id) ? id[DistinctIds.DevicePrefix.Length..] : null;
    }

    /// <summary>The label of a record in the timeline: its event name, or the operations of a profile update.</summary>
    internal static string LabelOf(ReceivedRecord record)
    {
        if (record.IsEvent)
        {
            return record.EventName ?? "(unnamed event)";
        }

        var operations = record.Json.EnumerateObject()
            .Select(property => property.Name)
            .Where(ProfileBook.IsOperation)
            .ToList();
        var target = record.Endpoint == MixpanelEndpoint.Groups ? "group" : "profile";
        return operations.Count == 0 ? $"{target} update" : $"{target} {string.Join(" ", operations)}";
    }
}
