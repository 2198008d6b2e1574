using Microsoft.Extensions.Logging;
using Mixpanel.Identity.AppEvents;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Flags;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Storage;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity;

/// <summary>
/// A device's client starting, on a thread of its own, and what it is made of once started: the storage directory
/// made ready, the identity loaded (or created), the delivery engine built and started, the flags, the network watch
/// and the app's start events; then the calls the app made meanwhile, kept by <see cref="SessionStart"/>, applied.
/// Owns the directory's claim, released at disposal, and the shutdown budget, which the host may shorten before the
/// start is over.
/// </summary>
internal sealed class DeviceStart
{
    private readonly MixpanelClient _owner;
    private readonly MixpanelOptions _options;
    private readonly ILogger _logger;
    private readonly DeliveryCounters _counters;
    private readonly TimeProvider _clock;
    private readonly SessionStart _start;
    private readonly AppLifecycle? _appLifecycle;
    private readonly DirectoryClaim? _claim;
    private readonly ShutdownBudget _shutdown;
    private readonly object _deviceInfoGate = new();
    private readonly TaskCompletionSource<DeviceParts> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PropertyMap _deviceInfo;
    private DeliveryEngine? _deviceInfoEngine;

    // What the client is made of, once made: set just before the calls kept while the identity loaded are applied.
    private DeviceParts? _parts;

    /// <summary>A start of <paramref name="owner"/>, begun by <see cref="Begin"/>.</summary>
    public DeviceStart(
        MixpanelClient owner,
        MixpanelOptions options,
        ILogger logger,
        DeliveryCounters counters,
        TimeProvider clock,
        SessionStart start,
        AppLifecycle? appLifecycle,
        DirectoryClaim? claim,
        PropertyMap deviceInfo)
    {
        _owner = owner;
        _options = options;
        _logger = logger;
        _counters = counters;
        _clock = clock;
        _start = start;
        _appLifecycle = appLifecycle;
        _claim = claim;
        _deviceInfo = deviceInfo;
        _shutdown = new ShutdownBudget(options.ShutdownTimeout, clock);
    }

    /// <summary>
    /// Starts, on a thread of its own: called once the owner is made, as the start may call it (its hooks, its flags).
    /// <paramref name="madeAt"/> stamps the app's start events.
    /// </summary>
    public void Begin(HttpClient? httpClient, DateTimeOffset madeAt) => _ = Task.Factory.StartNew(
        () =>
        {
            try
            {
                _started.SetResult(Start(httpClient, madeAt));
            }
#pragma warning disable CA1031 // Whoever waits for the start gets its exception; nothing escapes the thread.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                _started.SetException(exception);
            }
        },
        CancellationToken.None,
        TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach,
        TaskScheduler.Default);

    /// <summary>Completes once the client has started: its identity loaded and the calls made meanwhile applied; faulted if it could not.</summary>
    public Task Started => _started.Task;

    /// <summary>
    /// What the client is made of, waiting for it to be made (from the thread applying the kept calls, it is made
    /// already); the start's exception, should it have failed (a fault of the client's own).
    /// </summary>
    public DeviceParts Parts => Volatile.Read(ref _parts) ?? _started.Task.GetAwaiter().GetResult();

    /// <summary>What the client is made of; null while it is still being made.</summary>
    public DeviceParts? PartsOrNull => Volatile.Read(ref _parts);

    /// <summary>Shutdown has begun: disposal delivers only until <paramref name="deadline"/>.</summary>
    public void LimitShutdownTo(DateTimeOffset deadline) => _shutdown.LimitTo(deadline);

    /// <summary>The app's screen and Wi-Fi properties, for the records written from now on, whether the engine is made yet or not.</summary>
    public void SetDeviceInfo(PropertyMap deviceInfo)
    {
        lock (_deviceInfoGate)
        {
            _deviceInfo = deviceInfo;
            if (_deviceInfoEngine is { } engine)
            {
                engine.DeviceInfo = deviceInfo;
            }
        }
    }

    /// <summary>Flushes, once the client has started: the calls made while it started are delivered too.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) =>
        _started.Task.Status == TaskStatus.RanToCompletion
            ? _started.Task.Result.Runtime.FlushAsync(cancellationToken)
            : AfterStartAsync(static (runtime, token) => runtime.FlushAsync(token), cancellationToken);

    /// <summary>Stores what was recorded, once the client has started.</summary>
    public Task PersistAsync(CancellationToken cancellationToken) =>
        AfterStartAsync(static (runtime, token) => runtime.PersistAsync(token), cancellationToken);

    /// <summary>Waits for the start, then disposes what it made, <paramref name="closing"/> first; the directory is released last.</summary>
    public async Task DisposeAsync(Action<DeviceParts> closing)
    {
        try
        {
            DeviceParts parts;
            try
            {
                parts = await _started.Task.ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The start failed, and said so: it left nothing running that disposal must stop.
            catch (Exception)
#pragma warning restore CA1031
            {
                ProcessExit.Forget(_owner);
                return;
            }

            await parts.Runtime.DisposeAsync(closing: () => closing(parts)).ConfigureAwait(false);
        }
        finally
        {
            _claim?.Dispose();
        }
    }

    private DeviceParts Start(HttpClient? httpClient, DateTimeOffset madeAt)
    {
        ClientRuntime? runtime = null;
        NetworkWatch? network = null;
        try
        {
            DeliveryCounters.PrepareMeter();
            var hooks = new SessionHooks(_options, _logger, _counters);
            var directory = _claim is null ? null : ClientStorage.Prepare(_claim.Directory, _logger);

            // A disabled client keeps an opted-out identity in memory: whatever reaches the session is not recorded.
            var newDevice = false;
            var (store, state) = ClientStorage.OpenIdentity(directory, _clock, _logger, () =>
            {
                newDevice = true;
                return _options.Enabled ? hooks.NewIdentity() : hooks.NewIdentity().WithOptedOut(true);
            });
            var queueDirectory = store.Directory is { } stored ? Path.Combine(stored, "queue") : null;
            runtime = new ClientRuntime(_owner, _options, _logger, _clock, _counters, store, queueDirectory, httpClient, RecordDefaults.ForThisMachine(_options), _shutdown);
            var session = new IdentitySession(state, store.Version, runtime.Engine, store, _options.IdMerge, _clock, _counters, _logger, hooks);
            var flags = new MixpanelClientFlags(
                new FlagsApi(runtime.Http, _options, _clock),
                new PersistedFlags(store.Directory, _options.FlagsCacheTimeToLive),
                _clock,
                _logger,
                () => { var current = session.Current; return (current.DistinctId, current.DeviceId); },
                (name, properties) => _owner.Track(name, properties));
            lock (_deviceInfoGate)
            {
                _deviceInfoEngine = runtime.Engine;
                runtime.Engine.DeviceInfo = _deviceInfo;
            }

            runtime.Engine.Start(session);
            if (_options.Enabled)
            {
                network = new NetworkWatch(runtime.Engine.RetryNow);
                network.Start();
            }

            var parts = new DeviceParts(runtime, session, flags, network);
            Volatile.Write(ref _parts, parts);
            Action<IdentitySession>? appStart = null;
            if (_appLifecycle is not null)
            {
                var appVersion = DeviceProperties.ReadAppVersion(_options.AppVersion);
                appStart = opened => AppLifecycle.TrackStart(opened, store.Directory, newDevice, appVersion, madeAt, _logger);
            }

            _start.Open(session, first: appStart);
            return parts;
        }
        catch (Exception exception)
        {
            // A fault of the client's own: nothing it made is left running, and the calls kept are lost, logged.
            network?.Stop();
            _start.Fail(exception);
            runtime?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    // Waits for the start (or the token), then does what the runtime is asked. After a failed start there is nothing
    // to flush or store: every call was dropped and counted.
    private async Task AfterStartAsync(Func<ClientRuntime, CancellationToken, Task> then, CancellationToken cancellationToken)
    {
        try
        {
            await _started.Task.WaitOrCancelAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (_started.Task.IsFaulted)
        {
            return;
        }

        await then(_started.Task.Result.Runtime, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>What a device's client is made of once its identity is loaded.</summary>
internal sealed record DeviceParts(ClientRuntime Runtime, IdentitySession Session, MixpanelClientFlags Flags, NetworkWatch? Network);
