using System.Text.Json;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Identity;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Tests.Fakes;

/// <summary>
/// A record queue that keeps what it is given: every record serialized exactly as it would be sent, and every
/// identity saved (to the real identity store when the client has one), so tests observe the client's behaviour
/// without timing.
/// </summary>
internal sealed class CapturingRecordQueue : IRecordQueue
{
    private readonly object _gate = new();
    private readonly List<CapturedRecord> _records = [];
    private readonly RecordSerializer _serializer;
    private readonly IdentityStore? _identityStore;

    public CapturingRecordQueue(QueueSetup setup)
    {
        _serializer = new RecordSerializer(setup.Options.ProjectToken, LibraryInfo.Current);
        _identityStore = setup.IdentityStore;
    }

    public IReadOnlyList<CapturedRecord> Records
    {
        get
        {
            lock (_gate)
            {
                return [.. _records];
            }
        }
    }

    public IReadOnlyList<CapturedRecord> Events => [.. Records.Where(static r => r.Endpoint == RecordEndpoint.Track)];

    public IReadOnlyList<CapturedRecord> ProfileUpdates => [.. Records.Where(static r => r.Endpoint == RecordEndpoint.Engage)];

    public IReadOnlyList<CapturedRecord> GroupUpdates => [.. Records.Where(static r => r.Endpoint == RecordEndpoint.Groups)];

    public IdentityState? LastSavedIdentity { get; private set; }

    public int Purges { get; private set; }

    public DeliveryStatus Status => new(_identityStore is not null, null);

    public bool TryEnqueue(PendingRecord record)
    {
        var buffer = new ByteBuffer();
        using (var writer = new Utf8JsonWriter(buffer, JsonValues.WriterOptions))
        {
            _serializer.Write(writer, record);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        lock (_gate)
        {
            _records.Add(new CapturedRecord(record.Endpoint, document.RootElement.Clone()));
        }

        return true;
    }

    public void SaveIdentity(IdentityState state)
    {
        LastSavedIdentity = state;
        _identityStore?.Save(state);
    }

    public void Purge(int optOutGeneration)
    {
        lock (_gate)
        {
            Purges++;
            _records.Clear();
        }
    }

    public Task PersistAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ShutdownAsync(TimeSpan timeout) => Task.CompletedTask;

    public ValueTask DisposeAsync() => default;
}

/// <summary>One record as Mixpanel would receive it.</summary>
internal sealed record CapturedRecord(RecordEndpoint Endpoint, JsonElement Json)
{
    public string? EventName => Json.TryGetProperty("event", out var name) ? name.GetString() : null;

    public JsonElement Properties => Json.GetProperty("properties");

    public string? DistinctId => Endpoint == RecordEndpoint.Track ? Get(Properties, "distinct_id") : Get(Json, "$distinct_id");

    public string? DeviceId => Endpoint == RecordEndpoint.Track ? Get(Properties, "$device_id") : Get(Json, "$device_id");

    public string? UserId => Endpoint == RecordEndpoint.Track ? Get(Properties, "$user_id") : Get(Json, "$user_id");

    public string? Property(string name) => Get(Properties, name);

    private static string? Get(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
