using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Flags;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Testing;

/// <summary>
/// Where a fake's records go instead of Mixpanel: the records the client's own rules made, kept in the order they were
/// made, as the app reads them. Each counts as accepted and, at once, sent; drops are counted by the rules themselves.
/// </summary>
internal sealed class FakeRecorder(DeliveryCounters counters)
{
    private readonly object _gate = new();
    private readonly List<TrackedEvent> _events = [];
    private readonly List<ProfileUpdateRecord> _profileUpdates = [];
    private readonly List<GroupUpdateRecord> _groupUpdates = [];

    public IReadOnlyList<TrackedEvent> AllEvents => Snapshot(_events, static _ => true);

    /// <summary>The events the app tracked: all but those the client makes itself (<c>$identify</c>, <c>$create_alias</c>, <c>$experiment_started</c>).</summary>
    public IReadOnlyList<TrackedEvent> Events =>
        Snapshot(_events, static e => e.Name is not (ReservedNames.IdentifyEvent or ReservedNames.CreateAliasEvent or ExposureProperties.EventName));

    /// <summary>The exposures the flags reported.</summary>
    public IReadOnlyList<TrackedEvent> Exposures => Snapshot(_events, static e => e.Name == ExposureProperties.EventName);

    public IReadOnlyList<ProfileUpdateRecord> ProfileUpdates => Snapshot(_profileUpdates, static _ => true);

    public IReadOnlyList<GroupUpdateRecord> GroupUpdates => Snapshot(_groupUpdates, static _ => true);

    public void Record(PendingRecord record)
    {
        counters.OnAccepted();
        lock (_gate)
        {
            switch (record)
            {
                case EventRecord e:
                    var identity = e.Identity;
                    _events.Add(new TrackedEvent(
                        e.Name,
                        e.AppProperties(),
                        e.SentId(ReservedNames.DistinctId, identity.DistinctId)!,
                        e.SentId(ReservedNames.DeviceId, identity.DeviceId)!,
                        e.SentId(ReservedNames.UserId, identity.UserId),
                        DateTimeOffset.FromUnixTimeMilliseconds(e.TimeMilliseconds)));
                    break;
                case ProfileRecord profile:
                    _profileUpdates.Add(new ProfileUpdateRecord(profile.UserId, new MixpanelProfileUpdate(profile.Update)));
                    break;
                case GroupRecord group:
                    _groupUpdates.Add(new GroupUpdateRecord(group.GroupKey, group.GroupId, new MixpanelProfileUpdate(group.Update)));
                    break;
            }
        }

        counters.OnPersisted(1);
        counters.OnSent(1);
    }

    private List<T> Snapshot<T>(List<T> list, Func<T, bool> include)
    {
        lock (_gate)
        {
            return [.. list.Where(include)];
        }
    }
}
