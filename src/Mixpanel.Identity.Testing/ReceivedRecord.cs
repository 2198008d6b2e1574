using System.Globalization;
using System.Text.Json;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Testing;

/// <summary>
/// One record (an event or a profile update) as the local server received and accepted it, with the identity fields
/// Mixpanel reads from it pulled out for convenience.
/// </summary>
public sealed class ReceivedRecord
{
    /// <summary>Creates a record from the JSON object received on <paramref name="endpoint"/>.</summary>
    /// <param name="endpoint">The endpoint it was posted to.</param>
    /// <param name="json">The record's JSON object; it is cloned, so the caller's document may be disposed.</param>
    /// <param name="sequence">Its position among every record the server accepted, from 0.</param>
    /// <param name="requestIndex">The index of the request that carried it.</param>
    public ReceivedRecord(MixpanelEndpoint endpoint, JsonElement json, long sequence, int requestIndex)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("A record must be a JSON object.", nameof(json));
        }

        Endpoint = endpoint;
        Json = json.Clone();
        Sequence = sequence;
        RequestIndex = requestIndex;

        if (endpoint is MixpanelEndpoint.Track or MixpanelEndpoint.Import)
        {
            EventName = RecordReading.GetString(Json, "event");
            Properties = Json.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
                ? properties
                : default;
            if (Properties.ValueKind == JsonValueKind.Object)
            {
                DistinctId = RecordReading.GetString(Properties, "distinct_id");
                InsertId = RecordReading.GetString(Properties, "$insert_id");
                DeviceId = RecordReading.GetString(Properties, "$device_id");
                UserId = RecordReading.GetString(Properties, "$user_id");
                Time = ReadTime(Properties);
            }
        }
        else
        {
            DistinctId = RecordReading.GetString(Json, "$distinct_id");
            DeviceId = RecordReading.GetString(Json, "$device_id");
            UserId = RecordReading.GetString(Json, "$user_id");
            Time = Json.TryGetProperty("$time", out var time) && time.TryGetInt64(out var ms) ? ms : null;
        }
    }

    /// <summary>The endpoint the record was posted to.</summary>
    public MixpanelEndpoint Endpoint { get; }

    /// <summary>The record exactly as received.</summary>
    public JsonElement Json { get; }

    /// <summary>Its position among every record the server accepted, from 0: the order Mixpanel processes them in.</summary>
    public long Sequence { get; internal set; }

    /// <summary>The index of the request that carried it.</summary>
    public int RequestIndex { get; }

    /// <summary>Whether it is an event (<c>/track</c> or <c>/import</c>) rather than a profile update.</summary>
    public bool IsEvent => Endpoint is MixpanelEndpoint.Track or MixpanelEndpoint.Import;

    /// <summary>The event name; <see langword="null"/> for profile updates.</summary>
    public string? EventName { get; }

    /// <summary>The event's <c>properties</c> object; <c>default</c> for profile updates.</summary>
    public JsonElement Properties { get; }

    /// <summary><c>distinct_id</c> of an event, <c>$distinct_id</c> of a profile update.</summary>
    public string? DistinctId { get; }

    /// <summary>The event's <c>$insert_id</c>, Mixpanel's deduplication key.</summary>
    public string? InsertId { get; }

    /// <summary>The <c>$device_id</c> the record carries, if any.</summary>
    public string? DeviceId { get; }

    /// <summary>The <c>$user_id</c> the record carries, if any.</summary>
    public string? UserId { get; }

    /// <summary>The event time in milliseconds since the Unix epoch (Mixpanel accepts seconds too; they are converted).</summary>
    public long? Time { get; }

    /// <summary>
    /// The IP address Mixpanel would derive the record's city, region and country from, or <see langword="null"/> when it
    /// would not geolocate the record. An event: its <c>ip</c> property, else the request's address when the request said
    /// <c>ip=1</c>. A profile or group update: its <c>$ip</c>, else the request's address unless the request said <c>ip=0</c>.
    /// An <c>ip</c> or <c>$ip</c> of 0 means none. The request's address is <see cref="ReceivedRequest.ClientAddress"/>.
    /// Mixpanel itself discards the address once it has the location; it is kept here so tests can see it.
    /// </summary>
    public string? GeolocationIp { get; internal init; }

    /// <inheritdoc />
    public override string ToString() =>
        IsEvent
            ? string.Create(CultureInfo.InvariantCulture, $"{Endpoint} #{Sequence} '{EventName}' distinct_id={DistinctId}")
            : string.Create(CultureInfo.InvariantCulture, $"{Endpoint} #{Sequence} $distinct_id={DistinctId}");

    private static long? ReadTime(JsonElement properties)
    {
        if (!properties.TryGetProperty("time", out var time) || time.ValueKind != JsonValueKind.Number)
        {
            return null;
        }

        // Mixpanel takes seconds or milliseconds since the epoch; anything below 10^11 cannot be milliseconds after 1973.
        if (time.TryGetInt64(out var whole))
        {
            return whole < MixpanelLimits.SecondsThreshold ? whole * 1000 : whole;
        }

        var seconds = time.GetDouble();
        return seconds < MixpanelLimits.SecondsThreshold ? (long)Math.Round(seconds * 1000) : (long)seconds;
    }
}
