using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Mixpanel.Identity.Tests.Testing;

/// <summary>Valid Mixpanel records to post, for tests to break one field at a time.</summary>
internal static class SampleRecords
{
    public const string Token = "project-token";

    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static FakeTimeProvider Clock() => new(Now);

    public static JsonObject Event(
        string name = "Signed Up",
        string distinctId = "user-1",
        string? insertId = null,
        long? timeMilliseconds = null) =>
        new()
        {
            ["event"] = name,
            ["properties"] = new JsonObject
            {
                ["token"] = Token,
                ["distinct_id"] = distinctId,
                ["time"] = timeMilliseconds ?? Now.ToUnixTimeMilliseconds(),
                ["$insert_id"] = insertId ?? Guid.NewGuid().ToString("N"),
                ["$device_id"] = "device-1",
            },
        };

    public static JsonObject ProfileSet(string distinctId = "user-1") =>
        new()
        {
            ["$token"] = Token,
            ["$distinct_id"] = distinctId,
            ["$set"] = new JsonObject { ["plan"] = "pro" },
        };

    public static JsonObject GroupSet(string groupKey = "company", string groupId = "acme") =>
        new()
        {
            ["$token"] = Token,
            ["$group_key"] = groupKey,
            ["$group_id"] = groupId,
            ["$set"] = new JsonObject { ["industry"] = "retail" },
        };

    public static JsonObject Merge(string first, string second) =>
        new()
        {
            ["event"] = "$merge",
            ["properties"] = new JsonObject { ["$distinct_ids"] = new JsonArray(first, second) },
        };

    public static string Batch(params JsonNode[] records) => new JsonArray(records.Select(r => r.DeepClone()).ToArray()).ToJsonString();

    public static JsonObject Properties(this JsonObject record) => record["properties"]!.AsObject();
}
