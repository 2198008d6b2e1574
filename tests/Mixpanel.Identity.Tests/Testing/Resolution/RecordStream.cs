using System.Text.Json;
using System.Text.Json.Nodes;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.Tests.Testing.Resolution;

/// <summary>The records Mixpanel receives from one or more devices, in arrival order.</summary>
internal sealed class RecordStream
{
    private const long StartTime = 1_700_000_000_000;

    private readonly List<ReceivedRecord> _records = [];
    private int _insertIds;

    public IReadOnlyList<ReceivedRecord> Records => _records;

    /// <summary>A device running the SDK in <paramref name="mode"/>, starting anonymous with <paramref name="deviceId"/>.</summary>
    public SdkDevice Device(IdMergeApi mode, string deviceId) => new(this, mode, deviceId);

    public IdentityResolution Resolve(IdMergeApi api) => IdentityResolver.Resolve(_records, api);

    public ReceivedRecord Add(MixpanelEndpoint endpoint, JsonObject json) => Add(endpoint, json.ToJsonString());

    public ReceivedRecord Add(MixpanelEndpoint endpoint, string json)
    {
        using var document = JsonDocument.Parse(json);
        var record = new ReceivedRecord(endpoint, document.RootElement, _records.Count, _records.Count);
        _records.Add(record);
        return record;
    }

    public string NextInsertId() => new Guid(++_insertIds, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0).ToString();

    public long NextTime() => StartTime + (_records.Count * 1000L);
}

/// <summary>What the SDK sends from one device: the wire format of events, $identify, $create_alias and profile updates.</summary>
internal sealed class SdkDevice
{
    private readonly RecordStream _stream;
    private readonly IdMergeApi _mode;

    public SdkDevice(RecordStream stream, IdMergeApi mode, string deviceId)
    {
        _stream = stream;
        _mode = mode;
        DeviceId = deviceId;
    }

    public string DeviceId { get; private set; }

    public string? UserId { get; private set; }

    public string DistinctId => UserId ?? "$device:" + DeviceId;

    /// <summary>Tracks an event and returns its $insert_id.</summary>
    public string Track(string name, JsonObject? properties = null)
    {
        var insertId = _stream.NextInsertId();
        var props = new JsonObject
        {
            ["token"] = "tok",
            ["distinct_id"] = DistinctId,
            ["time"] = _stream.NextTime(),
            ["$insert_id"] = insertId,
            ["$device_id"] = DeviceId,
            ["mp_lib"] = "dotnet",
            ["$lib_version"] = "1.0.0",
            ["$os"] = "Linux",
        };
        if (UserId is not null)
        {
            props["$user_id"] = UserId;
        }

        foreach (var (key, value) in properties ?? [])
        {
            props[key] = value?.DeepClone();
        }

        _stream.Add(MixpanelEndpoint.Track, new JsonObject { ["event"] = name, ["properties"] = props });
        return insertId;
    }

    /// <summary>Identifies the user: in Original mode sends $identify when the id changes; then stamps $user_id.</summary>
    public SdkDevice Identify(string userId)
    {
        if (string.Equals(userId, DistinctId, StringComparison.Ordinal))
        {
            return this;
        }

        var previous = DistinctId;
        UserId = userId;
        if (_mode == IdMergeApi.Original)
        {
            _stream.Add(MixpanelEndpoint.Track, new JsonObject
            {
                ["event"] = "$identify",
                ["properties"] = new JsonObject
                {
                    ["token"] = "tok",
                    ["distinct_id"] = userId,
                    ["$anon_distinct_id"] = previous,
                    ["$device_id"] = DeviceId,
                    ["$user_id"] = userId,
                    ["time"] = _stream.NextTime(),
                    ["$insert_id"] = _stream.NextInsertId(),
                },
            });
        }

        return this;
    }

    public SdkDevice Alias(string alias)
    {
        _stream.Add(MixpanelEndpoint.Track, new JsonObject
        {
            ["event"] = "$create_alias",
            ["properties"] = new JsonObject
            {
                ["token"] = "tok",
                ["distinct_id"] = DistinctId,
                ["alias"] = alias,
                ["time"] = _stream.NextTime(),
                ["$insert_id"] = _stream.NextInsertId(),
            },
        });
        return this;
    }

    public SdkDevice Reset(string newDeviceId)
    {
        DeviceId = newDeviceId;
        UserId = null;
        return this;
    }

    /// <summary>A People.Set: one $set profile update sent to the current distinct id.</summary>
    public SdkDevice Set(string name, JsonNode? value) => Engage("$set", new JsonObject { [name] = value });

    /// <summary>One profile update with <paramref name="operation"/>, sent to <paramref name="distinctId"/> or the current distinct id.</summary>
    public SdkDevice Engage(string operation, JsonNode payload, string? distinctId = null)
    {
        var json = new JsonObject
        {
            ["$token"] = "tok",
            ["$distinct_id"] = distinctId ?? DistinctId,
            ["$device_id"] = DeviceId,
        };
        if (UserId is not null)
        {
            json["$user_id"] = UserId;
        }

        json[operation] = payload;
        _stream.Add(MixpanelEndpoint.Engage, json);
        return this;
    }
}
