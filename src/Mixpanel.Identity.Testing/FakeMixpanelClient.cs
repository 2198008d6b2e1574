using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Testing;

/// <summary>An event an app tracked through a <see cref="FakeMixpanelClient"/>.</summary>
/// <param name="Name">The event's name.</param>
/// <param name="Properties">Its properties: the super properties registered then, overridden by the call's own, and <c>$duration</c> when timed.</param>
/// <param name="DistinctId">The distinct id it went under: the user id once identified, <c>$device:</c> + device id before.</param>
/// <param name="DeviceId">The device id then.</param>
/// <param name="UserId">The user id then; null while anonymous.</param>
/// <param name="Time">When it was tracked, on the fake's clock.</param>
public sealed record TrackedEvent(string Name, IReadOnlyDictionary<string, object?> Properties, string DistinctId, string DeviceId, string? UserId, DateTimeOffset Time);

/// <summary>A user profile update an app made through a <see cref="FakeMixpanelClient"/>.</summary>
/// <param name="UserId">The user it went to (updates made while anonymous are held until <c>Identify</c>, as the client holds them).</param>
/// <param name="Update">The operation and its properties.</param>
public sealed record ProfileUpdateRecord(string UserId, MixpanelProfileUpdate Update);

/// <summary>A group profile update an app made through a <see cref="FakeMixpanelClient"/>.</summary>
/// <param name="GroupKey">The group key.</param>
/// <param name="GroupId">The group's id.</param>
/// <param name="Update">The operation and its properties.</param>
public sealed record GroupUpdateRecord(string GroupKey, object GroupId, MixpanelProfileUpdate Update);

/// <summary>
/// An <see cref="IMixpanelClient"/> for an app's unit tests: it keeps in memory what the app tracked and set, with the
/// client's own argument checks and identity rules (a <c>$device:</c> distinct id until <c>Identify</c>, a new device
/// on <c>Reset</c>, super properties, profile updates held while anonymous, opt-out), and sends nothing. For what
/// Mixpanel would receive and make of it, test against <see cref="LocalMixpanelServer"/> instead.
/// </summary>
public sealed class FakeMixpanelClient : IMixpanelClient
{
    private readonly object _gate = new();
    private readonly TimeProvider _timeProvider;
    private readonly List<TrackedEvent> _events = [];
    private readonly List<ProfileUpdateRecord> _profileUpdates = [];
    private readonly List<GroupUpdateRecord> _groupUpdates = [];
    private readonly List<MixpanelProfileUpdate> _held = [];
    private readonly Dictionary<string, long> _timers = new(StringComparer.Ordinal);
    private PropertyMap _superProperties = PropertyMap.Empty;

    /// <summary>Creates a fake on a fresh device.</summary>
    /// <param name="timeProvider">The clock events are stamped and timed with; by default the system clock.</param>
    public FakeMixpanelClient(TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        DeviceId = Guid.NewGuid().ToString("D");
        People = new MixpanelPeople(new Sink(this, null));
    }

    /// <inheritdoc />
    public string DistinctId => UserId ?? DistinctIds.ForDevice(DeviceId);

    /// <inheritdoc />
    public string DeviceId { get; private set; }

    /// <inheritdoc />
    public string? UserId { get; private set; }

    /// <inheritdoc />
    public bool IsOptedOut { get; private set; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?> SuperProperties => _superProperties;

    /// <inheritdoc />
    public MixpanelPeople People { get; }

    /// <inheritdoc />
    public MixpanelDiagnostics Diagnostics { get; } = new();

    /// <summary>The events tracked, in order (<c>$opt_in</c> included; <c>$identify</c> and other events the client makes itself are not).</summary>
    public IReadOnlyList<TrackedEvent> Events => Snapshot(_events);

    /// <summary>The user profile updates, in order, each with the user it went to.</summary>
    public IReadOnlyList<ProfileUpdateRecord> ProfileUpdates => Snapshot(_profileUpdates);

    /// <summary>The group profile updates, in order.</summary>
    public IReadOnlyList<GroupUpdateRecord> GroupUpdates => Snapshot(_groupUpdates);

    /// <inheritdoc />
    public void Track(string eventName, IReadOnlyDictionary<string, object?>? properties = null)
    {
        EventProperties.RequireName(eventName, nameof(eventName));
        var call = PropertyValues.Snapshot(properties, nameof(properties));
        lock (_gate)
        {
            if (IsOptedOut)
            {
                return;
            }

            var merged = _superProperties.With(call, overwrite: true);
            if (_timers.TryGetValue(eventName, out var started))
            {
                _timers.Remove(eventName);
                merged = merged.With(new PropertyMap([new(ReservedNames.Duration, Math.Round(_timeProvider.GetElapsedTime(started).TotalSeconds, 3))]), overwrite: false);
            }

            _events.Add(new TrackedEvent(eventName, merged, DistinctId, DeviceId, UserId, _timeProvider.GetUtcNow()));
        }
    }

    /// <inheritdoc />
    public void Identify(string userId)
    {
        DistinctIds.ValidateUserId(userId, nameof(userId));
        lock (_gate)
        {
            UserId = userId;
            foreach (var update in _held)
            {
                _profileUpdates.Add(new ProfileUpdateRecord(userId, update));
            }

            _held.Clear();
        }
    }

    /// <inheritdoc />
    public void Alias(string alias) => DistinctIds.ValidateUserId(alias, nameof(alias));

    /// <inheritdoc />
    public void Reset()
    {
        lock (_gate)
        {
            Forget();
        }
    }

    /// <inheritdoc />
    public void Register(IReadOnlyDictionary<string, object?> properties) => Register(properties, overwrite: true);

    /// <inheritdoc />
    public void RegisterOnce(IReadOnlyDictionary<string, object?> properties) => Register(properties, overwrite: false);

    /// <inheritdoc />
    public void Unregister(string propertyName)
    {
        PropertyValues.ValidateName(propertyName, nameof(propertyName));
        lock (_gate)
        {
            _superProperties = _superProperties.Without(propertyName);
        }
    }

    /// <inheritdoc />
    public void ClearSuperProperties()
    {
        lock (_gate)
        {
            _superProperties = PropertyMap.Empty;
        }
    }

    /// <inheritdoc />
    public void TimeEvent(string eventName)
    {
        EventProperties.RequireName(eventName, nameof(eventName));
        lock (_gate)
        {
            _timers[eventName] = _timeProvider.GetTimestamp();
        }
    }

    /// <inheritdoc />
    public void ClearTimedEvents()
    {
        lock (_gate)
        {
            _timers.Clear();
        }
    }

    /// <inheritdoc />
    public void OptOutTracking() => OptOutTracking(deleteUser: true);

    /// <inheritdoc />
    public void OptOutTracking(bool deleteUser)
    {
        lock (_gate)
        {
            if (IsOptedOut)
            {
                return;
            }

            if (deleteUser && UserId is { } userId)
            {
                _profileUpdates.Add(new ProfileUpdateRecord(userId, new MixpanelProfileUpdate(new ProfileUpdate(ProfileOperation.Delete, null))));
            }

            Forget();
            IsOptedOut = true;
        }
    }

    /// <inheritdoc />
    public void OptInTracking() => OptInTracking(null);

    /// <inheritdoc />
    public void OptInTracking(string? distinctId, IReadOnlyDictionary<string, object?>? properties = null)
    {
        lock (_gate)
        {
            if (!IsOptedOut)
            {
                return;
            }

            IsOptedOut = false;
        }

        if (distinctId is not null)
        {
            Identify(distinctId);
        }

        Track("$opt_in", properties);
    }

    /// <inheritdoc />
    public void SetGroup(string groupKey, object groupId) => SetGroup(groupKey, [groupId]);

    /// <inheritdoc />
    public void SetGroup(string groupKey, IEnumerable<object> groupIds) => GroupMembership.Set(this, groupKey, groupIds);

    /// <inheritdoc />
    public void AddGroup(string groupKey, object groupId) => GroupMembership.Add(this, groupKey, groupId);

    /// <inheritdoc />
    public void RemoveGroup(string groupKey, object groupId) => GroupMembership.Remove(this, groupKey, groupId);

    /// <inheritdoc />
    public void TrackWithGroups(string eventName, IReadOnlyDictionary<string, object?>? properties, IReadOnlyDictionary<string, object> groups) =>
        Track(eventName, GroupMembership.WithGroups(properties, groups));

    /// <summary>Does nothing: the fake sends nothing.</summary>
    public void OnAppBackgrounded()
    {
    }

    /// <inheritdoc />
    public MixpanelGroup GetGroup(string groupKey, object groupId)
    {
        var sink = new Sink(this, null);
        var group = new MixpanelGroup(groupKey, groupId, sink);
        sink.Group = (group.GroupKey, group.GroupId);
        return group;
    }

    /// <summary>Completes at once: the fake sends nothing.</summary>
    /// <param name="cancellationToken">Not used.</param>
    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    private void Register(IReadOnlyDictionary<string, object?> properties, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var snapshot = PropertyValues.Snapshot(properties, nameof(properties));
        lock (_gate)
        {
            _superProperties = _superProperties.With(snapshot, overwrite);
        }
    }

    private void Forget()
    {
        DeviceId = Guid.NewGuid().ToString("D");
        UserId = null;
        _superProperties = PropertyMap.Empty;
        _timers.Clear();
        _held.Clear();
    }

    private List<T> Snapshot<T>(List<T> list)
    {
        lock (_gate)
        {
            return [.. list];
        }
    }

    private void Send(MixpanelProfileUpdate update, (string Key, object Id)? group)
    {
        lock (_gate)
        {
            if (IsOptedOut)
            {
                return;
            }

            if (group is { } g)
            {
                _groupUpdates.Add(new GroupUpdateRecord(g.Key, g.Id, update));
            }
            else if (UserId is { } userId)
            {
                _profileUpdates.Add(new ProfileUpdateRecord(userId, update));
            }
            else if (update.Operation != ReservedNames.Delete)
            {
                // Held until Identify, as the client holds them: a profile on a $device: id would lose its properties.
                _held.Add(update);
            }
        }
    }

    private sealed class Sink(FakeMixpanelClient owner, (string Key, object Id)? group) : IMixpanelProfileSink
    {
        /// <summary>The group this sink's updates are for; null for the user's profile.</summary>
        public (string Key, object Id)? Group { get; set; } = group;

        public void Send(MixpanelProfileUpdate update) => owner.Send(update, Group);
    }
}
