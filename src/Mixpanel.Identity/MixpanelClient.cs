using System.Net.NetworkInformation;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.AppEvents;
using Mixpanel.Identity.DependencyInjection;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Storage;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity;

/// <summary>
/// The Mixpanel client: remembers who the user is across restarts, stamps every event with it, and delivers events
/// and profile updates in the background. Every member is safe to call from any thread; <c>Track</c>, <c>Identify</c>,
/// <c>Reset</c> and the profile calls never block on I/O. Create one per storage directory and keep it for the life
/// of the app (register it as a singleton).
/// </summary>
public sealed partial class MixpanelClient : IMixpanelClient, IAsyncDisposable, IDisposable, IFlushOnStop
{
    private readonly MixpanelOptions _options;
    private readonly ILogger _logger;
    private readonly DeliveryCounters _counters;
    private readonly SessionStart _start;
    private readonly IdentityCalls _calls;
    private readonly AppLifecycle? _appLifecycle;
    private readonly DeviceStart _device;
    private readonly object _disposeGate = new();
    private Task? _disposal;

    /// <summary>
    /// Creates a client, and starts loading (or creating) the identity stored for its project. The constructor and the
    /// calls after it return at once: storage is made ready, the identity read and delivery started off the caller's
    /// thread, and calls made meanwhile are applied in order once the identity is loaded. Reading the identity
    /// (<see cref="DistinctId"/> and the like) and the calls whose checks read it (<see cref="Alias"/>,
    /// <see cref="Register"/>) wait for it: some milliseconds after a cold start.
    /// </summary>
    /// <param name="options">The settings; <see cref="MixpanelOptions.ProjectToken"/> is required.</param>
    /// <param name="httpClient">
    /// The HTTP client to send with; by default the client makes and owns one. Give it a handler that does not follow
    /// redirects: a redirect is never Mixpanel's answer, and following one re-posts the project's records elsewhere.
    /// </param>
    /// <param name="timeProvider">The clock; by default the system clock.</param>
    /// <param name="loggerFactory">Where to log; by default nowhere.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="InvalidOperationException">Another client in this process is using the same storage directory.</exception>
    public MixpanelClient(
        MixpanelOptions options,
        HttpClient? httpClient = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null)
    {
        var checkedOptions = ClientRuntime.CheckedCopy(options);
        var clock = timeProvider ?? TimeProvider.System;
        var madeAt = clock.GetUtcNow();
        _options = checkedOptions;
        _logger = ClientRuntime.CreateLogger(loggerFactory);
        _counters = new DeliveryCounters();
        var claim = checkedOptions is { Enabled: true, Storage: StorageMode.Disk } && ClientStorage.Resolve(checkedOptions, _logger) is { } directory
            ? DirectoryClaim.Take(directory)
            : null;
        _start = new SessionStart(_logger, lost => _counters.OnDropped(DropReason.StartFailed, lost, wasQueued: false));
        People = checkedOptions.Enabled ? new MixpanelPeople(_start) : new MixpanelPeople(ClientRuntime.DisabledSink(_counters));
        if (checkedOptions is { Enabled: true, TrackAutomaticEvents: true })
        {
            _appLifecycle = new AppLifecycle(_start, clock, checkedOptions.MinimumSessionDuration);
        }

        // The app's provider is read on the app's thread, as it may read the screen.
        _device = new DeviceStart(this, checkedOptions, _logger, _counters, clock, _start, _appLifecycle, claim, ReadDeviceInfo() ?? PropertyMap.Empty);
        _calls = new IdentityCalls(_start, checkedOptions.IdMerge, clock, reset => _device.PartsOrNull?.Flags.OnIdentityChanged(reset));
        Diagnostics = new MixpanelDiagnostics(_counters, EngineStatus);

        // Delivered at exit when the app forgets to dispose the client; nothing stays registered once it does.
        ClientRuntime.DisposeAtProcessExit(this, DisposeAsync, checkedOptions, _logger);
        _device.Begin(httpClient, madeAt);
    }

    /// <summary>
    /// Mixpanel's feature flags for this device's person, fetched from Mixpanel on first use and kept for the distinct
    /// id; see <see cref="MixpanelClientFlags"/>.
    /// </summary>
    public MixpanelClientFlags Flags => _device.Parts.Flags;

    /// <inheritdoc />
    public string DistinctId => _start.Wait().Current.DistinctId;

    /// <inheritdoc />
    public string DeviceId => _start.Wait().Current.DeviceId;

    /// <inheritdoc />
    public string? UserId => _start.Wait().Current.UserId;

    /// <inheritdoc />
    public bool IsOptedOut => _start.Wait().Current.OptedOut;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?> SuperProperties => _start.Wait().Current.SuperProperties;

    /// <inheritdoc />
    public MixpanelPeople People { get; }

    /// <summary>Whether the stored identity is loaded: calls go straight to it from then on.</summary>
    internal bool IsStarted => _start.Session is not null;

    // What the engine says of itself, once started; a start that failed stores and delivers nothing.
    private Delivery.DeliveryStatus EngineStatus()
    {
        try
        {
            return _device.Parts.Runtime.Engine.Status;
        }
        catch (Exception) when (_device.Started.IsFaulted)
        {
            return default;
        }
    }

    /// <inheritdoc />
    public MixpanelDiagnostics Diagnostics { get; }

    /// <summary>Records an event.</summary>
    /// <param name="eventName">The event name; truncated to 255 characters.</param>
    /// <param name="properties">
    /// The event's own properties; they win over super properties. Values: strings, booleans, numbers, null, dates,
    /// GUIDs, enums, lists and string-keyed dictionaries (depth at most 3, fewer than 255 entries each).
    /// </param>
    /// <exception cref="ArgumentException">The name is empty, or a property value is of a type Mixpanel cannot store.</exception>
    public void Track(string eventName, IReadOnlyDictionary<string, object?>? properties = null)
    {
        if (_options.Enabled)
        {
            _calls.Track(eventName, properties);
            return;
        }

        // Disabled: checked as when enabled, so that a mistake shows in development, then counted.
        EventProperties.RequireName(eventName, nameof(eventName));
        _ = PropertyValues.Snapshot(properties, nameof(properties));
        ClientRuntime.DropDisabled(_counters);
    }

    /// <summary>
    /// Tells Mixpanel who the user is: call on sign-up, on login, and when the app starts logged in. With a new id,
    /// sends <c>$identify</c> (Original ID Merge) and releases profile updates held while anonymous; with the current
    /// id, does nothing.
    /// </summary>
    /// <param name="userId">The user's stable id, such as a database key; never an email address or phone number, which change.</param>
    /// <exception cref="ArgumentException">The id is empty, starts with <c>$device:</c>, or is a placeholder Mixpanel rejects.</exception>
    public void Identify(string userId) => _calls.Identify(userId);

    /// <summary>Links <paramref name="alias"/> to the current distinct id by a <c>$create_alias</c> event (Original ID Merge only; a legacy call).</summary>
    /// <param name="alias">The id to link; afterwards <c>Identify(alias)</c> on later logins sends no <c>$identify</c>.</param>
    /// <exception cref="NotSupportedException">The project uses Simplified ID Merge, which has no aliases.</exception>
    /// <exception cref="ArgumentException">The alias is invalid, or is the current distinct id.</exception>
    public void Alias(string alias) => _calls.Alias(alias);

    /// <summary>
    /// Forgets the user on this device: a new device id, no user id, no super properties, timers or held profile
    /// updates. Call on logout, never on app start or profile switch. Events already recorded are still sent under
    /// the identity they were recorded with.
    /// </summary>
    public void Reset() => _calls.Reset();

    /// <summary>Adds or replaces super properties, sent with every event and kept across restarts.</summary>
    /// <param name="properties">The properties.</param>
    /// <exception cref="ArgumentException">A value is invalid, or a name is one the client manages (<c>distinct_id</c>, <c>time</c>…).</exception>
    public void Register(IReadOnlyDictionary<string, object?> properties) => _calls.Register(properties, onlyIfAbsent: false);

    /// <summary>Adds super properties that are not set yet, leaving existing ones as they are.</summary>
    /// <param name="properties">The properties.</param>
    /// <exception cref="ArgumentException">A value is invalid, or a name is one the client manages.</exception>
    public void RegisterOnce(IReadOnlyDictionary<string, object?> properties) => _calls.Register(properties, onlyIfAbsent: true);

    /// <summary>Removes a super property.</summary>
    /// <param name="propertyName">The property's name.</param>
    public void Unregister(string propertyName) => _calls.Unregister(propertyName);

    /// <inheritdoc />
    public void ClearSuperProperties() => _calls.ClearSuperProperties();

    /// <summary>Starts a timer: the next <see cref="Track"/> of <paramref name="eventName"/> carries <c>$duration</c>, in seconds to three decimals.</summary>
    /// <param name="eventName">The event to time.</param>
    public void TimeEvent(string eventName) => _calls.TimeEvent(eventName);

    /// <inheritdoc />
    public void ClearTimedEvents() => _calls.ClearTimedEvents();

    /// <summary>
    /// Opts the user out of tracking, persistently: an identified user's profile is deleted (<c>$delete</c>, as Mixpanel's
    /// SDKs do by default), records not yet sent are discarded, the identity is forgotten, and <c>Track</c> and profile
    /// calls do nothing until <see cref="OptInTracking()"/>.
    /// </summary>
    public void OptOutTracking() => _calls.OptOut(deleteUser: true);

    /// <summary>Opts the user out of tracking, as <see cref="OptOutTracking()"/>, deleting their profile or not.</summary>
    /// <param name="deleteUser">Whether an identified user's profile is deleted (<c>$delete</c>) before the rest is discarded.</param>
    public void OptOutTracking(bool deleteUser) => _calls.OptOut(deleteUser);

    /// <summary>Opts the user back in and tracks <c>$opt_in</c>.</summary>
    public void OptInTracking() => OptInTracking(null);

    /// <summary>Opts the user back in: identifies them as <paramref name="distinctId"/> (if given), then tracks <c>$opt_in</c> with <paramref name="properties"/>.</summary>
    /// <param name="distinctId">The user's id, as for <see cref="Identify"/>; null to stay as the device is.</param>
    /// <param name="properties">Properties of the <c>$opt_in</c> event.</param>
    /// <exception cref="ArgumentException">The id or a property is invalid.</exception>
    public void OptInTracking(string? distinctId, IReadOnlyDictionary<string, object?>? properties = null)
    {
        if (_options.Enabled)
        {
            _calls.OptIn(distinctId, properties);
            return;
        }

        // Disabled: the client stays opted out; the arguments are checked as when enabled.
        if (distinctId is not null)
        {
            DistinctIds.ValidateUserId(distinctId, nameof(distinctId));
        }

        _ = PropertyValues.Snapshot(properties, nameof(properties));
    }

    /// <inheritdoc />
    public MixpanelGroup GetGroup(string groupKey, object groupId) =>
        _options.Enabled ? new(_start, groupKey, groupId) : new(groupKey, groupId, ClientRuntime.DisabledSink(_counters));

    /// <summary>
    /// Reads <see cref="MixpanelOptions.DeviceInfo"/> again: call it on the thread that may read the screen (a UI
    /// thread) when the screen or the network changes. Events tracked after carry the new values.
    /// </summary>
    public void RefreshDeviceInfo()
    {
        if (ReadDeviceInfo() is { } deviceInfo)
        {
            _device.SetDeviceInfo(deviceInfo);
        }
    }

    /// <summary>
    /// Tells the client the network is back: records waiting to be retried are sent at once instead of after their
    /// backoff. The client hears <see cref="NetworkChange.NetworkAvailabilityChanged"/> itself; call this from a
    /// platform's own signal (MAUI's <c>Connectivity.ConnectivityChanged</c>, for one) where that event does not fire.
    /// </summary>
    public void NotifyNetworkAvailable() => _device.PartsOrNull?.Runtime.Engine.RetryNow();

    /// <summary>
    /// Tells the client the app came to the foreground (a UI framework's resume or activate event): with
    /// <see cref="MixpanelOptions.TrackAutomaticEvents"/>, a session starts, unless one is running. Returns at once.
    /// </summary>
    public void OnAppForegrounded() => _appLifecycle?.Foregrounded();

    /// <summary>
    /// Tells the client the app is going to the background (a UI framework's suspend or deactivate event): what is
    /// queued is sent now, in the background, as Mixpanel's mobile SDKs do. With
    /// <see cref="MixpanelOptions.TrackAutomaticEvents"/>, the session ends and is tracked as <c>$ae_session</c>. Returns at once.
    /// </summary>
    public void OnAppBackgrounded()
    {
        if (Volatile.Read(ref _disposal) is null)
        {
            _appLifecycle?.Backgrounded();
            _ = FlushAsync().ContinueWith(static flush => _ = flush.Exception, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Completes when every record made before the call has been delivered to Mixpanel or dropped (counted), when
    /// delivery has halted because Mixpanel refused the token (see <see cref="MixpanelDiagnostics.IsDeliveryHalted"/>),
    /// or, without a <paramref name="cancellationToken"/>, after <see cref="MixpanelOptions.FlushTimeout"/>: records
    /// not delivered by then stay queued and are counted in <see cref="MixpanelDiagnostics.Queued"/>.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait early; records stay queued.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task FlushAsync(CancellationToken cancellationToken = default) => _device.FlushAsync(cancellationToken);

    /// <summary>
    /// Completes when every record and every change of identity made before the call is stored (on disk, with
    /// <see cref="StorageMode.Disk"/>), so that it survives the process being killed: for instance an opt-out that
    /// must hold before the app goes on.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task PersistAsync(CancellationToken cancellationToken = default) => _device.PersistAsync(cancellationToken);

    /// <summary>
    /// Delivers what it can within <see cref="MixpanelOptions.ShutdownTimeout"/>, then stops and releases the storage
    /// directory. What was not delivered stays on disk for the next start. Never waits longer than the timeout for
    /// Mixpanel.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        lock (_disposeGate)
        {
            _disposal ??= _device.DisposeAsync(closing: parts =>
            {
                // Closing the app ends its session, as going to the background does.
                _appLifecycle?.Backgrounded();
                parts.Network?.Stop();
                parts.Session.Close();
            });
            return new ValueTask(_disposal);
        }
    }

    /// <summary>Disposes synchronously, blocking for at most <see cref="MixpanelOptions.ShutdownTimeout"/> of delivery.</summary>
    public void Dispose() => Task.Run(() => DisposeAsync().AsTask()).GetAwaiter().GetResult();

    void IFlushOnStop.LimitShutdownTo(DateTimeOffset deadline) => _device.LimitShutdownTo(deadline);

    /// <summary>Completes once the client has started: its identity loaded and the calls made meanwhile applied.</summary>
    Task IFlushOnStop.Started => _device.Started;

    /// <summary>What <see cref="MixpanelOptions.DeviceInfo"/> gives now; null without one, or when it throws (logged).</summary>
    private PropertyMap? ReadDeviceInfo()
    {
        if (_options.DeviceInfo is not { } provider || !_options.SendDefaultProperties)
        {
            return null;
        }

        try
        {
            return provider().ToProperties();
        }
#pragma warning disable CA1031 // The app's provider may throw anything; events go on without its properties.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.DeviceInfoFailed(_logger, exception);
            return null;
        }
    }
}
