using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity;

/// <summary>
/// The server client's calls as the app makes them, for visitors named per call: each argument checked, the visitor's
/// ids, request properties and address stamped on their records, <c>$identify</c> on login under Original ID Merge, the
/// <c>BeforeSend</c> hooks run, and each record handed to <c>enqueue</c>. One home for these rules, behind
/// <see cref="MixpanelServerClient"/> and behind the fake of it in the Testing package.
/// </summary>
internal sealed class VisitorCalls
{
    private readonly MixpanelOptions _options;
    private readonly TimeProvider _clock;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly Action<PendingRecord> _enqueue;
    private readonly SessionHooks _hooks;

    /// <summary>Calls under checked <paramref name="options"/>, whose records go to <paramref name="enqueue"/>.</summary>
    public VisitorCalls(MixpanelOptions options, TimeProvider clock, DeliveryCounters counters, ILogger logger, Action<PendingRecord> enqueue)
    {
        _options = options;
        _clock = clock;
        _counters = counters;
        _logger = logger;
        _enqueue = enqueue;
        _hooks = new SessionHooks(options, logger, counters);
    }

    public void Track(MixpanelVisitor visitor, string eventName, IReadOnlyDictionary<string, object?>? properties) =>
        Record(visitor, eventName, properties, skipped: null);

    /// <summary>Checks an event as <see cref="Track"/> does, then counts it as dropped for <paramref name="reason"/>.</summary>
    public void Skip(MixpanelVisitor visitor, string eventName, IReadOnlyDictionary<string, object?>? properties, DropReason reason) =>
        Record(visitor, eventName, properties, reason);

    public MixpanelVisitor Identify(MixpanelVisitor visitor, string userId)
    {
        Guard.NotNull(visitor);
        DistinctIds.ValidateUserId(userId, nameof(userId));
        if (string.Equals(visitor.UserId, userId, StringComparison.Ordinal))
        {
            return visitor;
        }

        var identified = visitor.WithUser(userId);
        if (_options.IdMerge == IdMergeApi.Original)
        {
            var link = new PropertyMap([new(ReservedNames.AnonDistinctId, DistinctIds.ForDevice(visitor.DeviceId))]);
            Enqueue(identified, ReservedNames.IdentifyEvent, link, _clock.GetUtcNow().ToUnixTimeMilliseconds());
        }

        return identified;
    }

    public MixpanelPeople People(MixpanelVisitor visitor)
    {
        Guard.NotNull(visitor);
        return new MixpanelPeople(new VisitorProfile(this, visitor));
    }

    public MixpanelGroup GetGroup(string groupKey, object groupId)
    {
        var id = MixpanelGroup.ValidateGroup(groupKey, groupId);
        return new MixpanelGroup(groupKey, id, new GroupProfile(this, groupKey, id));
    }

    /// <summary>Checks the arguments of an import: events to read, and credentials to import with.</summary>
    /// <exception cref="InvalidOperationException">No credentials are set.</exception>
    public void CheckImport(IAsyncEnumerable<MixpanelImportEvent> events)
    {
        Guard.NotNull(events);
        if (!_options.CanImport)
        {
            throw new InvalidOperationException("Importing needs MixpanelOptions.ApiSecret, or a service account (ServiceAccountUsername, ServiceAccountSecret, ProjectId).");
        }
    }

    private void Record(MixpanelVisitor visitor, string eventName, IReadOnlyDictionary<string, object?>? properties, DropReason? skipped)
    {
        Guard.NotNull(visitor);
        EventProperties.RequireName(eventName, nameof(eventName));
        var time = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var own = EventProperties.ApplyOverrides(PropertyValues.Snapshot(properties, nameof(properties)), nameof(properties), ref time);
        if (skipped is { } reason)
        {
            _counters.OnDropped(reason, 1, wasQueued: false);
            return;
        }

        Enqueue(visitor, eventName, own, time);
    }

    private void Enqueue(MixpanelVisitor visitor, string eventName, PropertyMap properties, long time)
    {
        // The visitor's request properties and address go as the event's "super" properties: the call's own win.
        var identity = visitor.EventIdentity;
        if (!_hooks.TryEvent(ref eventName, ref properties, ref identity))
        {
            return;
        }

        _enqueue(new EventRecord(eventName, properties, identity, time, null));
    }

    /// <summary>A visitor's profile updates: to their user, from their address.</summary>
    private sealed class VisitorProfile(VisitorCalls owner, MixpanelVisitor visitor) : IMixpanelProfileSink
    {
        public void Send(MixpanelProfileUpdate update)
        {
            if (visitor.UserId is not { } userId)
            {
                owner._counters.OnDropped(DropReason.NotIdentified, 1, wasQueued: false);
                Log.ProfileUpdateWithoutUser(owner._logger);
                return;
            }

            var change = update.Update;
            if (!owner._hooks.TryProfileUpdate(ref change))
            {
                return;
            }

            owner._enqueue(new ProfileRecord(change, userId, visitor.DeviceId, visitor.IpAddress));
        }
    }

    private sealed class GroupProfile(VisitorCalls owner, string groupKey, string groupId) : IMixpanelProfileSink
    {
        public void Send(MixpanelProfileUpdate update)
        {
            var change = update.Update;
            if (!owner._hooks.TryGroupUpdate(ref change))
            {
                return;
            }

            owner._enqueue(new GroupRecord(change, groupKey, groupId));
        }
    }
}
