using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Identity;

/// <summary>
/// Who the user is, and the records that follow from every change of it, exactly as Mixpanel's own SDKs behave:
/// <c>$device:</c> ids while anonymous, <c>$identify</c> on login (Original ID Merge), <c>$device_id</c> and
/// <c>$user_id</c> on every event, profile updates held until there is a user to send them to, a fresh device on
/// <c>Reset</c>.
/// </summary>
/// <remarks>
/// Changes of identity take a lock and enqueue their records and the identity to save while holding it, so the queue
/// sees them in the same order as the state changed. <c>Track</c> takes no lock: it reads the current immutable
/// snapshot, and an event races a concurrent <c>Identify</c> only as far as which identity it was recorded under.
/// </remarks>
internal sealed class IdentitySession
{
    /// <summary>Most profile updates held while anonymous; the oldest go first beyond it.</summary>
    internal const int MaxHeldProfileUpdates = 1000;

    private readonly object _gate = new();
    private readonly IRecordQueue _queue;
    private readonly IdMergeApi _idMerge;
    private readonly TimeProvider _timeProvider;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly Dictionary<string, long> _timers = new(StringComparer.Ordinal);
    private volatile IdentityState _state;
    private volatile int _timerCount;
    private volatile int _optOutGeneration;
    private volatile bool _closed;

    public IdentitySession(IdentityState state, IRecordQueue queue, IdMergeApi idMerge, TimeProvider timeProvider, DeliveryCounters counters, ILogger logger)
    {
        _state = state;
        _queue = queue;
        _idMerge = idMerge;
        _timeProvider = timeProvider;
        _counters = counters;
        _logger = logger;
    }

    public IdentityState Current => _state;

    public void Track(string eventName, PropertyMap properties)
    {
        var time = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        properties = EventProperties.ApplyOverrides(properties, nameof(properties), ref time);

        // The generation is read before the state; OptOut changes them in the other order (see OptOut).
        var generation = _optOutGeneration;
        var state = _state;
        if (state.OptedOut)
        {
            _counters.OnDropped(DropReason.OptedOut, 1, wasQueued: false);
            return;
        }

        var duration = _timerCount == 0 ? null : StopTimer(eventName);
        Enqueue(new EventRecord(eventName, properties, state, time, duration), generation);
    }

    public void Identify(string userId)
    {
        if (IsClosed())
        {
            return;
        }

        lock (_gate)
        {
            var state = _state;
            if (string.Equals(state.UserId, userId, StringComparison.Ordinal))
            {
                return;
            }

            if (state.UserId is not null)
            {
                Log.IdentifyReplacedUser(_logger);
            }

            var alreadyLinked = string.Equals(state.Alias, userId, StringComparison.Ordinal);
            var identified = state.WithUser(userId, alreadyLinked ? state.Alias : null).WithHeldProfileUpdates([]);
            _state = identified;

            // Original ID Merge links the previous distinct id to the user by this event; an alias made with
            // Alias() was linked by its $create_alias already.
            if (_idMerge == IdMergeApi.Original && !alreadyLinked && !state.OptedOut)
            {
                var properties = new PropertyMap([new("$anon_distinct_id", state.DistinctId)]);
                Enqueue(new EventRecord("$identify", properties, identified, Now(), null));
            }

            foreach (var update in state.HeldProfileUpdates)
            {
                Enqueue(new ProfileRecord(update, userId, identified.DeviceId));
            }

            _queue.SaveIdentity(identified);
        }
    }

    public void Alias(string alias)
    {
        if (IsClosed())
        {
            return;
        }

        lock (_gate)
        {
            var state = _state;
            if (string.Equals(alias, state.DistinctId, StringComparison.Ordinal))
            {
                throw new ArgumentException("The alias is the current distinct id already; an id cannot be an alias of itself.", nameof(alias));
            }

            if (!state.OptedOut)
            {
                var properties = new PropertyMap([new("alias", alias)]);
                Enqueue(new EventRecord("$create_alias", properties, state, Now(), null));
            }

            var aliased = state.WithUser(state.UserId, alias);
            _state = aliased;
            _queue.SaveIdentity(aliased);
        }
    }

    public void Reset()
    {
        if (IsClosed())
        {
            return;
        }

        lock (_gate)
        {
            var state = _state;
            _counters.OnDropped(DropReason.Reset, state.HeldProfileUpdates.Count, wasQueued: false);
            ClearTimers();
            var fresh = IdentityState.CreateNew(state.OptedOut);
            _state = fresh;
            _queue.SaveIdentity(fresh);
        }
    }

    public void Register(PropertyMap properties, bool onlyIfAbsent)
    {
        if (properties.Count == 0 || IsClosed())
        {
            return;
        }

        lock (_gate)
        {
            var state = _state;
            var merged = state.SuperProperties.With(properties, overwrite: !onlyIfAbsent);
            if (merged.Count > MixpanelLimits.MaxPropertiesPerRecord)
            {
                throw new ArgumentException(
                    $"Super properties would number {merged.Count}; Mixpanel accepts fewer than {MixpanelLimits.MaxPropertiesPerRecord + 1} per event.",
                    nameof(properties));
            }

            if (!ReferenceEquals(merged, state.SuperProperties))
            {
                Save(state.WithSuperProperties(merged));
            }
        }
    }

    public void Unregister(string propertyName)
    {
        if (IsClosed())
        {
            return;
        }

        lock (_gate)
        {
            var state = _state;
            var remaining = state.SuperProperties.Without(propertyName);
            if (!ReferenceEquals(remaining, state.SuperProperties))
            {
                Save(state.WithSuperProperties(remaining));
            }
        }
    }

    public void ClearSuperProperties()
    {
        if (IsClosed())
        {
            return;
        }

        lock (_gate)
        {
            if (_state.SuperProperties.Count > 0)
            {
                Save(_state.WithSuperProperties(PropertyMap.Empty));
            }
        }
    }

    public void TimeEvent(string eventName)
    {
        lock (_gate)
        {
            _timers[eventName] = _timeProvider.GetTimestamp();
            _timerCount = _timers.Count;
        }
    }

    public void ClearTimedEvents()
    {
        lock (_gate)
        {
            ClearTimers();
        }
    }

    public void OptOut()
    {
        if (IsClosed())
        {
            return;
        }

        lock (_gate)
        {
            var state = _state;
            if (state.OptedOut)
            {
                return;
            }

            // Opting out forgets the user on this device and everything not yet sent, as Mixpanel's SDKs do. The
            // state changes before the generation: a Track that sees the new generation then sees the opted-out
            // state, and one that saw the old generation is dropped by the purge whenever its record arrives.
            _counters.OnDropped(DropReason.OptedOut, state.HeldProfileUpdates.Count, wasQueued: false);
            ClearTimers();
            var fresh = IdentityState.CreateNew(optedOut: true);
            _state = fresh;
            _optOutGeneration++;
            _queue.Purge(_optOutGeneration);
            _queue.SaveIdentity(fresh);
            Log.OptedOut(_logger);
        }
    }

    public void OptIn()
    {
        if (IsClosed())
        {
            return;
        }

        lock (_gate)
        {
            if (!_state.OptedOut)
            {
                return;
            }

            Save(_state.WithOptedOut(false));
        }

        Track("$opt_in", PropertyMap.Empty);
    }

    /// <summary>A user profile update: sent to the user id, or held until <c>Identify</c> while anonymous.</summary>
    public void UpdateProfile(ProfileUpdate update)
    {
        if (IsClosed())
        {
            _counters.OnDropped(DropReason.Disposed, 1, wasQueued: false);
            return;
        }

        lock (_gate)
        {
            var state = _state;
            if (state.OptedOut)
            {
                _counters.OnDropped(DropReason.OptedOut, 1, wasQueued: false);
                return;
            }

            if (state.UserId is { } userId)
            {
                Enqueue(new ProfileRecord(update, userId, state.DeviceId));
                return;
            }

            if (update.Operation == ProfileOperation.Delete)
            {
                // Held, it would delete whichever user signs in next.
                _counters.OnDropped(DropReason.NotIdentified, 1, wasQueued: false);
                Log.DeleteUserWhileAnonymous(_logger);
                return;
            }

            // Sent to a $device: id, it would make an anonymous profile whose properties Mixpanel drops on merge.
            var held = new List<ProfileUpdate>(state.HeldProfileUpdates.Count + 1);
            held.AddRange(state.HeldProfileUpdates);
            held.Add(update);
            if (held.Count > MaxHeldProfileUpdates)
            {
                held.RemoveAt(0);
                _counters.OnDropped(DropReason.QueueFull, 1, wasQueued: false);
                Log.HeldProfileUpdatesFull(_logger, MaxHeldProfileUpdates);
            }

            Save(state.WithHeldProfileUpdates(held));
        }
    }

    public void UpdateGroup(GroupRecord record)
    {
        var generation = _optOutGeneration;
        if (_state.OptedOut)
        {
            _counters.OnDropped(DropReason.OptedOut, 1, wasQueued: false);
            return;
        }

        Enqueue(record, generation);
    }

    /// <summary>The client was disposed: from now on calls change nothing, and records are counted as dropped.</summary>
    public void Close() => _closed = true;

    private void Enqueue(PendingRecord record) => Enqueue(record, _optOutGeneration);

    /// <summary>After disposal nothing can be saved or sent: a call is logged and changes nothing.</summary>
    private bool IsClosed()
    {
        if (_closed)
        {
            Log.RecordAfterDispose(_logger);
        }

        return _closed;
    }

    private void Enqueue(PendingRecord record, int generation)
    {
        if (_closed)
        {
            _counters.OnDropped(DropReason.Disposed, 1, wasQueued: false);
            Log.RecordAfterDispose(_logger);
            return;
        }

        record.OptOutGeneration = generation;
        _counters.OnAccepted();
        if (!_queue.TryEnqueue(record))
        {
            _counters.OnDropped(DropReason.QueueFull, 1, wasQueued: true);
        }
    }

    private void Save(IdentityState state)
    {
        _state = state;
        _queue.SaveIdentity(state);
    }

    private double? StopTimer(string eventName)
    {
        long start;
        lock (_gate)
        {
            if (!_timers.TryGetValue(eventName, out start))
            {
                return null;
            }

            _timers.Remove(eventName);
            _timerCount = _timers.Count;
        }

        return Math.Round(_timeProvider.GetElapsedTime(start).TotalSeconds, 3);
    }

    private void ClearTimers()
    {
        _timers.Clear();
        _timerCount = 0;
    }

    private long Now() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
}
