using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity;

/// <summary>
/// Who a server's call is about: the visitor's anonymous id (their device id, kept in a cookie), their user id once
/// they are signed in, their address, and the properties of their request. Immutable; a server makes one per request.
/// </summary>
public sealed class MixpanelVisitor
{
    // The visitor as each of their events carries them, made at their first event: the request properties checked and
    // copied once, and one identity for the serializer to encode once.
    private EventIdentity? _eventIdentity;

    /// <summary>Creates a visitor.</summary>
    /// <param name="deviceId">The visitor's anonymous id, sent as <c>$device_id</c> (and <c>$device:</c> + it while anonymous).</param>
    /// <param name="userId">Their user id once signed in, sent as <c>$user_id</c>; null while anonymous.</param>
    /// <exception cref="ArgumentException">An id is one Mixpanel would refuse.</exception>
    public MixpanelVisitor(string deviceId, string? userId = null)
    {
        DistinctIds.ValidateUserId(deviceId, nameof(deviceId));
        if (userId is not null)
        {
            DistinctIds.ValidateUserId(userId, nameof(userId));
        }

        DeviceId = deviceId;
        UserId = userId;
    }

    /// <summary>The visitor's anonymous id.</summary>
    public string DeviceId { get; }

    /// <summary>The visitor's user id; null while anonymous.</summary>
    public string? UserId { get; }

    /// <summary>The distinct id their events go under: the user id once signed in, <c>$device:</c> + device id before.</summary>
    public string DistinctId => UserId ?? DistinctIds.ForDevice(DeviceId);

    /// <summary>
    /// The visitor's IP address, so that Mixpanel locates the visitor rather than the server (<c>ip</c> on events,
    /// <c>$ip</c> on profile updates). Null sends none.
    /// </summary>
    public string? IpAddress { get; init; }

    /// <summary>Properties of the visitor's request sent with each of their events (browser, campaign, page); the call's own win over them.</summary>
    public IReadOnlyDictionary<string, object?>? Properties { get; init; }

    /// <summary>The ids, request properties and address every event of the visitor carries; the call's own properties win.</summary>
    /// <exception cref="ArgumentException"><see cref="Properties"/> holds a value Mixpanel cannot take.</exception>
    internal EventIdentity EventIdentity => _eventIdentity ??= NewEventIdentity();

    /// <summary>The same visitor, signed in as <paramref name="userId"/>.</summary>
    /// <param name="userId">The user id.</param>
    /// <exception cref="ArgumentException">The id is one Mixpanel would refuse.</exception>
    public MixpanelVisitor WithUser(string userId) => new(DeviceId, userId) { IpAddress = IpAddress, Properties = Properties };

    /// <summary>The same visitor as another anonymous device (after a logout).</summary>
    /// <param name="deviceId">The new anonymous id.</param>
    public MixpanelVisitor AsNewDevice(string deviceId)
    {
        Guard.NotNull(deviceId);
        return new(deviceId) { IpAddress = IpAddress, Properties = Properties };
    }

    private EventIdentity NewEventIdentity()
    {
        var request = PropertyValues.Snapshot(Properties, "visitor");
        if (IpAddress is { } ip)
        {
            request = request.With(new PropertyMap([new(ReservedNames.Ip, ip)]), overwrite: false);
        }

        return new EventIdentity(DistinctId, DeviceId, UserId, request);
    }
}
