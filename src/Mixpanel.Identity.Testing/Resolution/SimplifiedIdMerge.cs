using Mixpanel.Identity.Protocol;
namespace Mixpanel.Identity.Testing;

/// <summary>
/// Simplified ID Merge: an event carrying both <c>$device_id</c> and <c>$user_id</c> links <c>$device:&lt;device_id&gt;</c>
/// to the user id, retroactively; the canonical distinct id is always the user id; two user ids never merge.
/// </summary>
/// <remarks>
/// The rules, from Mixpanel's "Identifying Users (Simplified)" and "Migrating to Simplified ID Merge" pages, with our choices
/// where the docs leave a rule open:
/// <list type="bullet">
/// <item>An event's own distinct id is its <c>$user_id</c> if present, else <c>$device:</c> + <c>$device_id</c>. An event
/// with neither falls back on <c>distinct_id</c>: a <c>$device:</c> value is a device, anything else a user id (Mixpanel's
/// backward-compatibility rule).</item>
/// <item>A device is linked "when a $user_id and $device_id are present in the same event for the first time". Our reading
/// for a device first seen with U1 and later with U2: the first link wins and is never moved. Events carrying U2 count for
/// U2 (the user id is their distinct id), while the device's anonymous events stay with U1, because two user ids never
/// merge.</item>
/// <item>Only events link. Profile updates also carry <c>$device_id</c> and <c>$user_id</c> from our SDK, but Mixpanel applies
/// a profile update to its <c>$distinct_id</c> and the docs describe linking on events only.</item>
/// <item><c>$identify</c>, <c>$create_alias</c> and <c>$merge</c> have no special meaning: they are ordinary events, so their
/// <c>$device_id</c> and <c>$user_id</c> link like any other event's, and their alias or merge ids are ignored.</item>
/// <item>No cap on the number of devices per user.</item>
/// </list>
/// </remarks>
internal sealed class SimplifiedIdMerge : IIdentityMerge
{
    private readonly Dictionary<string, int> _firstSeen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceLink> _deviceLinks = new(StringComparer.Ordinal);

    public IdentityEffect Apply(ReceivedRecord record)
    {
        var (user, device) = IdentityOf(record);
        if (device is not null)
        {
            Register(device);
        }

        if (user is not null)
        {
            Register(user);
        }

        var effect = IdentityEffect.None;
        if (user is not null && device is not null && !RecordReading.IsInvalid(user))
        {
            if (!_deviceLinks.TryGetValue(device, out var link))
            {
                _deviceLinks[device] = new DeviceLink(user, record);
                effect = new IdentityEffect(IdentityOutcome.Linked, $"Links {device} ⇒ {user}", target: user, subject: device);
            }
            else if (!string.Equals(link.User, user, StringComparison.Ordinal))
            {
                effect = IdentityEffect.Noted($"{device} stays linked to {link.User}");
            }
        }

        if (record.EventName is ReservedNames.CreateAliasEvent or ReservedNames.MergeEvent)
        {
            var note = effect.Note.Length == 0 ? $"{record.EventName} ignored" : $"{record.EventName} ignored; {effect.Note}";
            return IdentityEffect.Ignored(
                note,
                $"Simplified ID Merge gives {record.EventName} no special meaning, so it links no ids: only an event carrying both $device_id and $user_id links a device to a user, and two user ids can never be merged.");
        }

        return effect;
    }

    public string Resolve(string distinctId) =>
        _deviceLinks.TryGetValue(distinctId, out var link) ? link.User : distinctId;

    public string? ResolveEvent(ReceivedRecord record)
    {
        var (user, device) = IdentityOf(record);
        return user ?? (device is null ? null : Resolve(device));
    }

    public bool IsAnonymous(string distinctId) => RecordReading.IsDeviceId(distinctId);

    public IReadOnlyList<IdentityCluster> Clusters()
    {
        var devicesOf = _deviceLinks
            .GroupBy(pair => pair.Value.User, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.ToList(), StringComparer.Ordinal);

        var clusters = new List<(int Order, IdentityCluster Cluster)>();
        foreach (var id in _firstSeen.Keys)
        {
            if (_deviceLinks.ContainsKey(id))
            {
                continue;
            }

            var ids = new List<string> { id };
            var links = new List<ReceivedRecord>();
            if (devicesOf.TryGetValue(id, out var devices))
            {
                ids.AddRange(devices.Select(pair => pair.Key));
                links.AddRange(devices.Select(pair => pair.Value.Record));
            }

            ids.Sort((left, right) => _firstSeen[left].CompareTo(_firstSeen[right]));
            links.Sort((left, right) => left.Sequence.CompareTo(right.Sequence));
            clusters.Add((_firstSeen[ids[0]], new IdentityCluster(id, ids, links)));
        }

        return clusters.OrderBy(pair => pair.Order).Select(pair => pair.Cluster).ToList();
    }

    public void Register(string id) => _firstSeen.TryAdd(id, _firstSeen.Count);

    private static (string? User, string? Device) IdentityOf(ReceivedRecord record)
    {
        var user = string.IsNullOrEmpty(record.UserId) ? null : record.UserId;
        var device = string.IsNullOrEmpty(record.DeviceId) ? null : DistinctIds.DevicePrefix + record.DeviceId;
        if (user is not null || device is not null || string.IsNullOrEmpty(record.DistinctId))
        {
            return (user, device);
        }

        return RecordReading.IsDeviceId(record.DistinctId) ? (null, record.DistinctId) : (record.DistinctId, null);
    }

    private sealed record DeviceLink(string User, ReceivedRecord Record);
}
