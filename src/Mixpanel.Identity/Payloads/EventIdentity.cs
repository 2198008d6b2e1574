namespace Mixpanel.Identity.Payloads;

/// <summary>
/// Who an event is about, as the event carries it: the distinct id, device id and user id, and the super properties
/// registered at the time. Immutable, and one instance per identity, so that the events recorded under it share it.
/// </summary>
internal sealed class EventIdentity
{
    public EventIdentity(string distinctId, string deviceId, string? userId, PropertyMap superProperties)
    {
        DistinctId = distinctId;
        DeviceId = deviceId;
        UserId = userId;
        SuperProperties = superProperties;
    }

    public string DistinctId { get; }

    public string DeviceId { get; }

    public string? UserId { get; }

    public PropertyMap SuperProperties { get; }
}
