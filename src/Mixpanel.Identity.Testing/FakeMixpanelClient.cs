using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Flags;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity.Testing;

/// <summary>
/// An <see cref="IMixpanelClient"/> for an app's unit tests: it runs the client's own argument checks and identity rules
/// (the same code as <see cref="MixpanelClient"/>: a <c>$device:</c> distinct id until <c>Identify</c>, a new device on
/// <c>Reset</c>, super properties and their limits, profile updates held while anonymous, <c>Alias</c>, opt-out, the
/// <c>BeforeSend</c> hooks of its options), keeps in memory what the client would send, and sends nothing. It delivers
/// at once: what was tracked before an opt-out stays recorded, where the client discards what it has not yet sent.
/// For what Mixpanel would receive and make of it, test against <see cref="LocalMixpanelServer"/> instead.
/// </summary>
public sealed class FakeMixpanelClient : IMixpanelClient
{
    private readonly IdentitySession _session;
    private readonly SessionStart _start;
    private readonly IdentityCalls _calls;
    private readonly FakeRecorder _recorder;
    private readonly ScriptedVariants _flagScript = new();

    /// <summary>Creates a fake on a fresh device, with the options' defaults (Original ID Merge).</summary>
    /// <param name="timeProvider">The clock events are stamped and timed with; by default the system clock.</param>
#pragma warning disable RS0027 // This constructor came first; the overloads with options take no optional parameter, so only a bare null argument would now need a cast.
    public FakeMixpanelClient(TimeProvider? timeProvider = null)
#pragma warning restore RS0027
        : this(new MixpanelOptions { ProjectToken = FakeOptions.ProjectToken }, timeProvider)
    {
    }

    /// <summary>
    /// Creates a fake on a fresh device that follows <paramref name="options"/> as the client does: its ID-merge system,
    /// <c>BeforeSend</c> hooks, device-id provider and opt-out default. Nothing is stored or sent.
    /// </summary>
    /// <param name="options">The client's options, checked as the client checks them.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public FakeMixpanelClient(MixpanelOptions options)
        : this(options, null)
    {
    }

    /// <summary>As <see cref="FakeMixpanelClient(MixpanelOptions)"/>, on the clock <paramref name="timeProvider"/>.</summary>
    /// <param name="options">The client's options, checked as the client checks them.</param>
    /// <param name="timeProvider">The clock events are stamped and timed with; null for the system clock.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public FakeMixpanelClient(MixpanelOptions options, TimeProvider? timeProvider)
    {
        var checkedOptions = ClientRuntime.CheckedCopy(options);
        var clock = timeProvider ?? TimeProvider.System;
        var logger = ClientRuntime.CreateLogger(null);
        var counters = new DeliveryCounters();
        var hooks = new SessionHooks(checkedOptions, logger, counters);
        var (store, state) = ClientStorage.OpenIdentity(null, clock, logger, hooks.NewIdentity);
        _recorder = new FakeRecorder(counters);
        var device = new SavedIdentity(_recorder, counters, store, state);
        _session = new IdentitySession(state, store.Version, device, store, checkedOptions.IdMerge, clock, counters, logger, hooks);
        device.Session = _session;
        Flags = new MixpanelClientFlags(
            _flagScript,
            clock,
            logger,
            () => { var current = _session.Current; return (current.DistinctId, current.DeviceId); },
            (name, properties) => Track(name, properties));
        _start = SessionStart.Of(_session, logger);
        _calls = new IdentityCalls(_start, checkedOptions.IdMerge, clock, reset => Flags.OnIdentityChanged(reset));
        People = new MixpanelPeople(_start);
        Diagnostics = new MixpanelDiagnostics(counters);
    }

    /// <inheritdoc />
    public string DistinctId => _session.Current.DistinctId;

    /// <inheritdoc />
    public string DeviceId => _session.Current.DeviceId;

    /// <inheritdoc />
    public string? UserId => _session.Current.UserId;

    /// <inheritdoc />
    public bool IsOptedOut => _session.Current.OptedOut;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?> SuperProperties => _session.Current.SuperProperties;

    /// <inheritdoc />
    public MixpanelPeople People { get; }

    /// <summary>Counters of the records made and dropped (an update to delete an anonymous user's profile, one filtered by a hook…), as the client counts them.</summary>
    public MixpanelDiagnostics Diagnostics { get; }

    /// <summary>
    /// The client's flags, answering the variants scripted with <see cref="SetFlagVariant"/> as the client answers
    /// Mixpanel's: fetched at first use, again after <c>Identify</c> with a new id, <c>Reset</c>, a context update and a
    /// change to the script; the first read of a flag after each fetch recorded as <c>$experiment_started</c>
    /// (<see cref="Exposures"/>). A flag not scripted is a fallback (<see cref="MixpanelFlagFallbackReason.FlagNotFound"/>).
    /// </summary>
    public MixpanelClientFlags Flags { get; }

    /// <summary>The events tracked, in order (<c>$opt_in</c> included; <c>$identify</c>, <c>$create_alias</c> and <c>$experiment_started</c>, which the client makes itself, are not).</summary>
    public IReadOnlyList<TrackedEvent> Events => _recorder.Events;

    /// <summary>Every event the client would send, in order: those tracked, and those it makes itself (<c>$identify</c>, <c>$create_alias</c>, <c>$experiment_started</c>).</summary>
    public IReadOnlyList<TrackedEvent> AllEvents => _recorder.AllEvents;

    /// <summary>The exposure events (<c>$experiment_started</c>) the flags recorded, in order, each with the identity it went under.</summary>
    public IReadOnlyList<TrackedEvent> Exposures => _recorder.Exposures;

    /// <summary>The user profile updates, in order, each with the user it went to.</summary>
    public IReadOnlyList<ProfileUpdateRecord> ProfileUpdates => _recorder.ProfileUpdates;

    /// <summary>The group profile updates, in order.</summary>
    public IReadOnlyList<GroupUpdateRecord> GroupUpdates => _recorder.GroupUpdates;

    /// <inheritdoc />
    public void Track(string eventName, IReadOnlyDictionary<string, object?>? properties = null) => _calls.Track(eventName, properties);

    /// <inheritdoc />
    public void Identify(string userId) => _calls.Identify(userId);

    /// <inheritdoc />
    public void Alias(string alias) => _calls.Alias(alias);

    /// <inheritdoc />
    public void Reset() => _calls.Reset();

    /// <inheritdoc />
    public void Register(IReadOnlyDictionary<string, object?> properties) => _calls.Register(properties, onlyIfAbsent: false);

    /// <inheritdoc />
    public void RegisterOnce(IReadOnlyDictionary<string, object?> properties) => _calls.Register(properties, onlyIfAbsent: true);

    /// <inheritdoc />
    public void Unregister(string propertyName) => _calls.Unregister(propertyName);

    /// <inheritdoc />
    public void ClearSuperProperties() => _calls.ClearSuperProperties();

    /// <inheritdoc />
    public void TimeEvent(string eventName) => _calls.TimeEvent(eventName);

    /// <inheritdoc />
    public void ClearTimedEvents() => _calls.ClearTimedEvents();

    /// <inheritdoc />
    public void OptOutTracking() => _calls.OptOut(deleteUser: true);

    /// <inheritdoc />
    public void OptOutTracking(bool deleteUser) => _calls.OptOut(deleteUser);

    /// <inheritdoc />
    public void OptInTracking() => _calls.OptIn(null, null);

    /// <inheritdoc />
    public void OptInTracking(string? distinctId, IReadOnlyDictionary<string, object?>? properties = null) => _calls.OptIn(distinctId, properties);

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

    /// <summary>
    /// Scripts Mixpanel's answer for <paramref name="flagKey"/>: the variant <paramref name="variantKey"/> holding
    /// <paramref name="value"/>, for everyone or for one distinct id (which wins over everyone's). The flags fetch again.
    /// </summary>
    /// <param name="flagKey">The flag's key.</param>
    /// <param name="variantKey">The variant's key.</param>
    /// <param name="value">The variant's value: a string, number, boolean, null, list or string-keyed dictionary, or a <see cref="System.Text.Json.JsonElement"/>.</param>
    /// <param name="distinctId">The distinct id the variant is for; null for everyone.</param>
    /// <exception cref="ArgumentException">The flag key or variant key is empty, or the distinct id is.</exception>
    public void SetFlagVariant(string flagKey, string variantKey, object? value, string? distinctId = null) =>
        _flagScript.Set(flagKey, variantKey, value, distinctId);

    /// <summary>Forgets every variant scripted for <paramref name="flagKey"/>: the flag becomes unknown. The flags fetch again.</summary>
    /// <param name="flagKey">The flag's key.</param>
    public void RemoveFlag(string flagKey) => _flagScript.Remove(flagKey);

    /// <summary>Does nothing: the fake sends nothing.</summary>
    public void OnAppBackgrounded()
    {
    }

    /// <inheritdoc />
    public MixpanelGroup GetGroup(string groupKey, object groupId) => new(_start, groupKey, groupId);

    /// <summary>Completes at once: the fake sends nothing.</summary>
    /// <param name="cancellationToken">Not used.</param>
    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>
    /// The identity as saved, in place of the client's store and queue: each change applied at once with the client's
    /// own rule (<see cref="IdentityChange.Apply"/>), the profile updates it releases recorded, and the session told.
    /// </summary>
    private sealed class SavedIdentity(FakeRecorder recorder, DeliveryCounters counters, IdentityStore store, IdentityState initial) : IRecordSink
    {
        private IdentityState _saved = initial;
        private int _purgedGeneration;

        public IdentitySession? Session { get; set; }

        public void Enqueue(PendingRecord record)
        {
            // A record made before an opt-out that arrives after it is dropped, as the client's writer drops it.
            if (record.OptOutGeneration < Volatile.Read(ref _purgedGeneration))
            {
                counters.OnDropped(DropReason.OptedOut, 1, wasQueued: false);
                return;
            }

            recorder.Record(record);
        }

        // Called by the session under its lock, one change at a time.
        public void Change(IdentityChange change)
        {
            var effects = new ChangeEffects();
            _saved = change.Apply(_saved, effects);
            foreach (var released in effects.Released)
            {
                recorder.Record(released);
            }

            foreach (var drop in effects.Dropped)
            {
                counters.OnDropped(drop.Key, drop.Value, wasQueued: false);
            }

            Session!.OnSaved(_saved, store.Version, changes: 1);
        }

        public void Purge(int optOutGeneration) => Volatile.Write(ref _purgedGeneration, optOutGeneration);

        // The fake's identity lives in memory: no other process changes it, so there is nothing to read.
        public void CatchUp()
        {
        }
    }
}

/// <summary>What the fakes are made with when the test gives no options.</summary>
internal static class FakeOptions
{
    public const string ProjectToken = "fake-project-token";

    public const string ApiSecret = "fake-api-secret";
}
