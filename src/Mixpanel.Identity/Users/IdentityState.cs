using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Users;

/// <summary>
/// Who the user is at one moment: an immutable snapshot, as stored in <c>identity.json</c>. Every event captures the
/// snapshot current at its <c>Track</c> call (<see cref="ForEvents"/>), so it is sent under the identity it was
/// recorded with, whatever happens afterwards.
/// </summary>
internal sealed class IdentityState
{
    public IdentityState(
        string deviceId,
        string? userId,
        string? alias,
        bool optedOut,
        PropertyMap superProperties,
        IReadOnlyList<ProfileUpdate> heldProfileUpdates,
        long pendingRelease = 0,
        IReadOnlyDictionary<string, long>? timers = null)
    {
        DeviceId = deviceId;
        UserId = userId;
        Alias = alias;
        OptedOut = optedOut;
        SuperProperties = superProperties;
        HeldProfileUpdates = heldProfileUpdates;
        PendingRelease = pendingRelease;
        Timers = timers ?? NoTimers;
        DistinctId = userId ?? DistinctIds.ForDevice(deviceId);
        ForEvents = new EventIdentity(DistinctId, deviceId, userId, superProperties);
    }

    /// <summary>A random UUID v4, made on first run and on every reset.</summary>
    public string DeviceId { get; }

    /// <summary>The id given to <c>Identify</c>; null while anonymous.</summary>
    public string? UserId { get; }

    /// <summary>The id given to <c>Alias</c>, already linked to this device's distinct id.</summary>
    public string? Alias { get; }

    public bool OptedOut { get; }

    public PropertyMap SuperProperties { get; }

    /// <summary>Profile updates made while anonymous, released to the user id on <c>Identify</c>.</summary>
    public IReadOnlyList<ProfileUpdate> HeldProfileUpdates { get; }

    /// <summary>
    /// Non-zero while held updates are being released: the tag their records carry in the queue until the release
    /// is saved. Found on disk, it means the release was cut short, and records with this tag were never released.
    /// </summary>
    public long PendingRelease { get; }

    /// <summary>Events being timed (<c>TimeEvent</c>): name → start, in UTC ticks on the wall clock, so a timer survives a restart.</summary>
    public IReadOnlyDictionary<string, long> Timers { get; }

    /// <summary>The user id once identified, <c>$device:</c> + device id before.</summary>
    public string DistinctId { get; }

    /// <summary>What events recorded under this identity carry.</summary>
    public EventIdentity ForEvents { get; }

    private static readonly IReadOnlyDictionary<string, long> NoTimers = new Dictionary<string, long>();

    public static IdentityState CreateNew(string deviceId, bool optedOut = false) =>
        new(deviceId, null, null, optedOut, PropertyMap.Empty, []);

    /// <summary>A UUID v4 (random), as Mixpanel's own SDKs make device ids.</summary>
    public static string NewDeviceId() => Guid.NewGuid().ToString("D");

    /// <summary>Whether <paramref name="id"/> can be a device id: what a user id may be, as it goes out as <c>$device:</c> + id.</summary>
    public static bool IsValidDeviceId(string id) => DistinctIds.IsValidUserId(id);

    public IdentityState WithUser(string? userId, string? alias) =>
        new(DeviceId, userId, alias, OptedOut, SuperProperties, HeldProfileUpdates, PendingRelease, Timers);

    public IdentityState WithSuperProperties(PropertyMap superProperties) =>
        new(DeviceId, UserId, Alias, OptedOut, superProperties, HeldProfileUpdates, PendingRelease, Timers);

    public IdentityState WithHeldProfileUpdates(IReadOnlyList<ProfileUpdate> held) =>
        new(DeviceId, UserId, Alias, OptedOut, SuperProperties, held, PendingRelease, Timers);

    public IdentityState WithOptedOut(bool optedOut) =>
        new(DeviceId, UserId, Alias, optedOut, SuperProperties, HeldProfileUpdates, PendingRelease, Timers);

    public IdentityState WithTimers(IReadOnlyDictionary<string, long> timers) =>
        new(DeviceId, UserId, Alias, OptedOut, SuperProperties, HeldProfileUpdates, PendingRelease, timers);

    public IdentityState WithPendingRelease(long tag) =>
        new(DeviceId, UserId, Alias, OptedOut, SuperProperties, HeldProfileUpdates, tag, Timers);
}
