using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity;

/// <summary>
/// What both clients are made of and how they end: their options, log and counters, the delivery engine with its HTTP
/// client and identity store, and one disposal that delivers within <see cref="MixpanelOptions.ShutdownTimeout"/> (a
/// budget the host's stop shares) and then releases them. <see cref="MixpanelClient"/> adds a device's stored identity;
/// <see cref="MixpanelServerClient"/> has none: its visitors are given per call.
/// </summary>
internal sealed class ClientRuntime
{
    private readonly object _owner;
    private readonly HttpClient? _ownedHttpClient;
    private readonly ShutdownBudget _shutdown;
    private readonly object _disposeGate = new();
    private Task? _disposal;

    /// <summary>
    /// Makes the engine for <paramref name="owner"/>, over <paramref name="store"/> (a device's identity store; none for
    /// a server's client), its disposal within <paramref name="shutdown"/> if the owner made that budget already; on
    /// failure nothing is left open.
    /// </summary>
    public ClientRuntime(
        object owner,
        MixpanelOptions options,
        ILogger logger,
        TimeProvider clock,
        DeliveryCounters counters,
        IdentityStore? store,
        string? queueDirectory,
        HttpClient? httpClient,
        RecordDefaults defaults,
        ShutdownBudget? shutdown = null)
    {
        _owner = owner;
        Options = options;
        Logger = logger;
        Clock = clock;
        Counters = counters;
        _shutdown = shutdown ?? new ShutdownBudget(options.ShutdownTimeout, clock);
        _ownedHttpClient = httpClient is null ? new HttpClient(HttpSender.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan } : null;
        var http = httpClient ?? _ownedHttpClient!;
        Http = http;
        try
        {
            Engine = new DeliveryEngine(options, http, store, queueDirectory, defaults, clock, logger, Counters);
        }
        catch
        {
            _ownedHttpClient?.Dispose();
            throw;
        }
    }

    public MixpanelOptions Options { get; }

    /// <summary>The HTTP client the engine sends with; the feature flags ask Mixpanel through it too.</summary>
    public HttpClient Http { get; }

    public ILogger Logger { get; }

    public TimeProvider Clock { get; }

    public DeliveryCounters Counters { get; }

    public DeliveryEngine Engine { get; }


    public bool IsDisposed => Volatile.Read(ref _disposal) is not null;

    /// <summary>Where profile and group updates go while the client is disabled: counted, never recorded.</summary>
    public static IMixpanelProfileSink DisabledSink(DeliveryCounters counters) => new DisabledProfiles(counters);

    /// <summary>Counts a record the app made while <see cref="MixpanelOptions.Enabled"/> is false.</summary>
    public static void DropDisabled(DeliveryCounters counters) => counters.OnDropped(DropReason.Disabled, 1, wasQueued: false);

    /// <summary>The app's options, checked and copied: the app changing them afterwards changes nothing.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public static MixpanelOptions CheckedCopy(MixpanelOptions options)
    {
        Guard.NotNull(options);
        var errors = options.Validate();
        return errors.Count > 0
            ? throw new ArgumentException("The Mixpanel options are invalid: " + string.Join(" ", errors), nameof(options))
            : options.Clone();
    }

    public static ILogger CreateLogger(ILoggerFactory? loggerFactory) =>
        (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Mixpanel.Identity");

    /// <summary>Has <paramref name="owner"/> disposed through <paramref name="dispose"/> at process exit, should the app never dispose it.</summary>
    public static void DisposeAtProcessExit(object owner, Func<ValueTask> dispose, MixpanelOptions options, ILogger logger) =>
        ProcessExit.Register(owner, dispose, options.ShutdownTimeout, () => Log.ProcessExiting(logger, options.ShutdownTimeout));

    public Task FlushAsync(CancellationToken cancellationToken) =>
        IsDisposed ? Task.CompletedTask : Engine.FlushAsync(Options.FlushTimeout, cancellationToken);

    public Task PersistAsync(CancellationToken cancellationToken) =>
        IsDisposed ? Task.CompletedTask : Engine.PersistAsync(cancellationToken);

    public void LimitShutdownTo(DateTimeOffset deadline) => _shutdown.LimitTo(deadline);

    /// <summary>Disposes once, whoever calls: <paramref name="closing"/> first (the client stops taking calls), then delivery within the budget, then release.</summary>
    public ValueTask DisposeAsync(Action? closing = null)
    {
        lock (_disposeGate)
        {
            _disposal ??= DisposeCoreAsync(closing);
            return new ValueTask(_disposal);
        }
    }

    private async Task DisposeCoreAsync(Action? closing)
    {
        ProcessExit.Forget(_owner);
        closing?.Invoke();
        try
        {
            await Engine.StopAsync(_shutdown.Left()).ConfigureAwait(false);
            await Engine.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            // The connection pool is released whatever happened to the queue.
            _ownedHttpClient?.Dispose();
        }
    }

    private sealed class DisabledProfiles(DeliveryCounters counters) : IMixpanelProfileSink
    {
        public void Send(MixpanelProfileUpdate update) => DropDisabled(counters);
    }
}
