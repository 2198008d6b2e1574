using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Users;

/// <summary>
/// Who the user is, and the records that follow from every change of it, exactly as Mixpanel's own SDKs behave:
/// <c>$device:</c> ids while anonymous, <c>$identify</c> on login (Original ID Merge), <c>$device_id</c> and
/// <c>$user_id</c> on every event, profile updates held until there is a user to send them to, a fresh device on
/// <c>Reset</c>.
/// </summary>
/// <remarks>
/// A change takes the lock, updates this process's view at once and hands the change to the sink, which saves it to
/// the identity shared with other processes; <see cref="OnSaved"/> then brings the view in line with what was saved.
/// While no change of this process is on its way, every call first checks the shared change counter and reads the
/// identity again if another process changed it. <c>Track</c> takes no lock: it reads the current immutable snapshot.
/// </remarks>
internal sealed partial class IdentitySession
{
    private readonly object _gate = new();
    private readonly IRecordSink _sink;
    private readonly IdentityStore _store;
    private readonly IdMergeApi _idMerge;
    private readonly TimeProvider _timeProvider;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly SessionHooks _hooks;
    private volatile IdentityState _state;
    private volatile int _seenVersion;

    // The last version Track asked the sink to catch up with, so that it asks once per change, not once per call.
    private int _catchUpAsked;
    private volatile int _optOutGeneration;
    private volatile bool _closed;

    // Changes handed to the sink and not yet saved. While there are any, this view is ahead of the stored identity.
    private int _unsaved;

    public IdentitySession(
        IdentityState state,
        int version,
        IRecordSink sink,
        IdentityStore store,
        IdMergeApi idMerge,
        TimeProvider timeProvider,
        DeliveryCounters counters,
        ILogger logger,
        SessionHooks hooks)
    {
        _hooks = hooks;
        _state = state;
        _seenVersion = version;
        _sink = sink;
        _store = store;
        _idMerge = idMerge;
        _timeProvider = timeProvider;
        _counters = counters;
        _logger = logger;
    }

    /// <summary>The identity as this process sees it, caught up with other processes' changes.</summary>
    public IdentityState Current
    {
        get
        {
            if (_store.Version != _seenVersion)
            {
                CatchUp();
            }

            return _state;
        }
    }

    /// <summary>Records an event; <paramref name="calledAt"/> is when the app made the call, if that was earlier than now.</summary>
    public void Track(string eventName, PropertyMap properties, DateTimeOffset? calledAt = null)
    {
        var now = calledAt ?? _timeProvider.GetUtcNow();
        var time = now.ToUnixTimeMilliseconds();
        properties = EventProperties.ApplyOverrides(properties, nameof(properties), ref time);

        // The generation is read before the state; OptOut changes them in the other order (see OptOut).
        var generation = _optOutGeneration;
        var state = CurrentWithoutReading();
        if (state.OptedOut)
        {
            _counters.OnDropped(DropReason.OptedOut, 1, wasQueued: false);
            return;
        }

        var duration = state.Timers.Count == 0 ? null : StopTimer(eventName, now);
        var identity = state.ForEvents;
        if (!_hooks.TryEvent(ref eventName, ref properties, ref identity))
        {
            return;
        }

        Enqueue(new EventRecord(eventName, properties, identity, time, duration), generation);
    }

    public void Identify(string userId, DateTimeOffset? calledAt = null)
    {
        lock (_gate)
        {
            var state = CurrentLocked();
            if (IsClosed() || string.Equals(state.UserId, userId, StringComparison.Ordinal))
            {
                return;
            }

            if (state.UserId is not null)
            {
                Log.IdentifyReplacedUser(_logger);
            }

            var change = new IdentityChange.Identify(userId);
            var identified = change.Apply(state, new ChangeEffects());

            // Original ID Merge links the previous distinct id to the user by this event; an alias made with Alias()
            // was linked by its $create_alias already.
            if (_idMerge == IdMergeApi.Original && !string.Equals(state.Alias, userId, StringComparison.Ordinal) && !state.OptedOut)
            {
                var properties = new PropertyMap([new(ReservedNames.AnonDistinctId, state.DistinctId)]);
                Enqueue(new EventRecord(ReservedNames.IdentifyEvent, properties, identified.ForEvents, (calledAt ?? _timeProvider.GetUtcNow()).ToUnixTimeMilliseconds(), null), _optOutGeneration);
            }

            Change(change, identified);
        }
    }

    public void Alias(string alias)
    {
        lock (_gate)
        {
            var state = CurrentLocked();
            if (IsClosed())
            {
                return;
            }

            if (string.Equals(alias, state.DistinctId, StringComparison.Ordinal))
            {
                throw new ArgumentException("The alias is the current distinct id already; an id cannot be an alias of itself.", nameof(alias));
            }

            if (!state.OptedOut)
            {
                var properties = new PropertyMap([new(ReservedNames.Alias, alias)]);
                Enqueue(new EventRecord(ReservedNames.CreateAliasEvent, properties, state.ForEvents, Now(), null), _optOutGeneration);
            }

            Change(new IdentityChange.Alias(alias));
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            CurrentLocked();
            if (IsClosed())
            {
                return;
            }

            Change(new IdentityChange.Forget(_hooks.NewDeviceId(), optOut: false));
        }
    }

    public void Register(PropertyMap properties, bool onlyIfAbsent)
    {
        if (properties.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            var state = CurrentLocked();
            if (IsClosed())
            {
                return;
            }

            var change = new IdentityChange.Register(properties, onlyIfAbsent);
            var registered = change.Apply(state, new ChangeEffects());
            if (ReferenceEquals(registered, state))
            {
                return;
            }

            var merged = registered.SuperProperties;
            if (merged.Count > MixpanelLimits.MaxPropertiesPerRecord)
            {
                throw new ArgumentException(
                    $"Super properties would number {merged.Count}; Mixpanel accepts fewer than {MixpanelLimits.MaxPropertiesPerRecord + 1} per event.",
                    nameof(properties));
            }

            if (JsonBytes(merged) > IdentityBudgets.MaxSuperPropertyBytes)
            {
                throw new ArgumentException(
                    $"Super properties would take more than {IdentityBudgets.MaxSuperPropertyBytes / 1024} KiB as JSON; they go out with every event, " +
                    "and Mixpanel refuses events of 1 MB.",
                    nameof(properties));
            }

            Change(change, registered);
        }
    }

    /// <summary>Removes one super property, or all of them when <paramref name="propertyName"/> is null.</summary>
    public void Unregister(string? propertyName)
    {
        lock (_gate)
        {
            var state = CurrentLocked();
            if (IsClosed())
            {
                return;
            }

            var change = new IdentityChange.Unregister(propertyName);
            var remaining = change.Apply(state, new ChangeEffects());
            if (!ReferenceEquals(remaining, state))
            {
                Change(change, remaining);
            }
        }
    }

    public void TimeEvent(string eventName, DateTimeOffset calledAt)
    {
        lock (_gate)
        {
            CurrentLocked();
            if (!IsClosed())
            {
                Change(new IdentityChange.Timer(eventName, calledAt.UtcTicks));
            }
        }
    }

    public void ClearTimedEvents()
    {
        lock (_gate)
        {
            if (!IsClosed() && CurrentLocked().Timers.Count > 0)
            {
                Change(new IdentityChange.Timer(null, null));
            }
        }
    }

    /// <summary>
    /// Opts out: forgets the user on this device and everything not yet sent, as Mixpanel's SDKs do; with
    /// <paramref name="deleteUser"/>, the identified user's profile is deleted first (its <c>$delete</c> outlives the purge).
    /// </summary>
    public void OptOut(bool deleteUser)
    {
        lock (_gate)
        {
            var state = CurrentLocked();
            if (IsClosed() || state.OptedOut)
            {
                return;
            }

            // The state changes before the generation: a Track that sees the new generation then sees the opted-out
            // state, and one that saw the old generation is dropped by the purge whenever its record arrives.
            Change(new IdentityChange.Forget(_hooks.NewDeviceId(), optOut: true));
            PurgeQueued();
            if (deleteUser && state.UserId is { } userId)
            {
                Enqueue(new ProfileRecord(new ProfileUpdate(ProfileOperation.Delete, null), userId, state.DeviceId), _optOutGeneration);
            }

            Log.OptedOut(_logger);
        }
    }

    /// <summary>Opts back in; with <paramref name="distinctId"/>, identifies the user first. Tracks <c>$opt_in</c> with <paramref name="properties"/>.</summary>
    public void OptIn(string? distinctId, PropertyMap properties, DateTimeOffset? calledAt = null)
    {
        lock (_gate)
        {
            var state = CurrentLocked();
            if (IsClosed() || !state.OptedOut)
            {
                return;
            }

            Change(new IdentityChange.OptIn());
        }

        if (distinctId is not null)
        {
            Identify(distinctId, calledAt);
        }

        Track("$opt_in", properties, calledAt);
    }

    /// <summary>The client was disposed: from now on calls change nothing, and records are counted as dropped.</summary>
    public void Close() => _closed = true;

    private void PurgeQueued()
    {
        _optOutGeneration++;
        _sink.Purge(_optOutGeneration);
    }

    private void Change(IdentityChange change, IdentityState? applied = null)
    {
        _state = applied ?? change.Apply(_state, new ChangeEffects());
        _unsaved++;
        _sink.Change(change);
    }

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
        _sink.Enqueue(record);
    }

    /// <summary>The seconds since <paramref name="eventName"/>'s timer started, to three decimals, and the timer stopped; null without one.</summary>
    private double? StopTimer(string eventName, DateTimeOffset stoppedAt)
    {
        var now = stoppedAt.UtcTicks;
        lock (_gate)
        {
            if (!CurrentLocked().Timers.TryGetValue(eventName, out var start) || _closed)
            {
                return null;
            }

            Change(new IdentityChange.Timer(eventName, null));
            return Math.Round(Math.Max(0, now - start) / (double)TimeSpan.TicksPerSecond, 3);
        }
    }

    private long Now() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private static int JsonBytes(PropertyMap properties)
    {
        var buffer = new ByteBuffer(1024);
        using (var writer = new Utf8JsonWriter(buffer, JsonValues.WriterOptions))
        {
            JsonValues.WriteObject(writer, properties);
        }

        return buffer.Length;
    }
}
