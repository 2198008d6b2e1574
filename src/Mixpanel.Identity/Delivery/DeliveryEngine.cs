using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// The one object that gets records to Mixpanel. The app's threads hand it records, identity changes and markers
/// (<see cref="Intake"/>); one loop owns everything else: it serializes records and stores them on disk in groups,
/// saves identity changes in order with them, reads batches back and sends them, one request at a time per endpoint,
/// and settles each by Mixpanel's answer (<see cref="Replies"/>). Requests run on their own and wake the loop when
/// answered; the loop never waits on the network, so a stuck request delays nothing but its own endpoint.
/// </summary>
/// <remarks>
/// With nothing queued the loop sleeps with no timer set. It wakes for records, a marker, an answer, or its one timer:
/// the earliest of the gathering deadline (<see cref="MixpanelOptions.PersistInterval"/>), the periodic send
/// (<see cref="MixpanelOptions.FlushInterval"/>, only while records are stored) and each endpoint's retry.
/// </remarks>
internal sealed partial class DeliveryEngine : IRecordSink, IAsyncDisposable
{
    // Frames are written in groups of about this size, so that a burst never turns into one huge write.
    private const int MaxGroupBytes = 1024 * 1024;

    // Records taken from the intake in one turn of the loop, before it looks at answers again.
    private const int MaxTakenPerTurn = 2048;

    // Reading a file that fails (a backup tool or virus scanner holding it) is tried this many times before its
    // records are given up on and counted.
    private const int MaxReadAttempts = 5;

    // The longest disposal waits for the loop's last write after ShutdownTimeout, whatever the disk does.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxFailurePause = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AdoptionInterval = TimeSpan.FromMinutes(1);

    private readonly MixpanelOptions _options;
    private readonly RecordSerializer _serializer;
    private readonly IdentityStore _identity;
    private readonly string? _queueDirectory;
    private readonly long _segmentBytes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DeliveryCounters _counters;
    private readonly Func<double> _random;

    // Whether events are this machine's (an app's client) or other devices' (a server's visitors): only the first carry
    // the machine's $os, $os_version, $manufacturer and $model.
    private readonly bool _describesThisMachine;
    private readonly AsyncSignal _wake = new();
    private readonly Intake _intake;
    private readonly DropLog _intakeDrops;
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _cancelGate = new();
    private readonly long _startTimestamp;
    private readonly DateTimeOffset _startTime;
    private IdentitySession? _session;
    private Task _loop = Task.CompletedTask;
    private CancellationTokenSource _sendCancel = new();
    private volatile int _haltedStatus;
    private volatile bool _isDurable = true;
    private volatile bool _closed;
    private PropertyMap _deviceInfo = PropertyMap.Empty;
    private int _retryNow;
    private int _catchUpAsked;

    /// <summary>How the engine sends, shared with the bulk importer: the same endpoints, credentials and timeout.</summary>
    public HttpSender Sender { get; }

    // Owned by the loop.
    private readonly Endpoint[] _endpoints;
    private readonly ByteBuffer[] _groups = [.. RecordEndpoints.All.Select(static endpoint => new ByteBuffer(endpoint == RecordEndpoint.Track ? 64 * 1024 : 4 * 1024))];
    private readonly int[] _groupCounts = new int[RecordEndpoints.Count];
    private readonly Utf8JsonWriter _json;
    private readonly List<IdentityChange> _changes = [];
    private readonly List<FlushRequest> _flushes = [];
    private RecordQueue _queue = RecordQueue.InMemory();
    private IntakeItem? _heldItem;
    private int _purgedGeneration;
    private long _groupStartedAt;
    private long _flushDueAt;
    private long _commitRetryAt;
    private int _commitFailures;
    private long _nextAdoptionAt;

    public DeliveryEngine(
        MixpanelOptions options,
        HttpClient httpClient,
        IdentityStore identity,
        string? queueDirectory,
        TimeProvider timeProvider,
        ILogger logger,
        DeliveryCounters counters,
        bool describesThisMachine,
        Func<double>? random = null)
    {
        _options = options;
        _identity = identity;
        _queueDirectory = queueDirectory;
        _time = timeProvider;
        _logger = logger;
        _counters = counters;
        _random = random ?? Backoff.SharedRandom;
        Sender = new HttpSender(httpClient, options, timeProvider);
        _describesThisMachine = describesThisMachine;
        _serializer = new RecordSerializer(options.ProjectToken, describesThisMachine ? LibraryInfo.Current : LibraryInfo.Current.WithoutOperatingSystem(), options.ExcludeProperties);
        _json = new Utf8JsonWriter(_groups[0], JsonValues.WriterOptions);
        _endpoints = [.. RecordEndpoints.All.Select(static endpoint => new Endpoint(endpoint))];

        // Segments of an eighth of the byte budget (64 KiB to 4 MiB): the queue frees space a segment at a time.
        _segmentBytes = Math.Min(Math.Max(options.MaxQueueBytes / 8, 64 * 1024), 4 * 1024 * 1024);
        _intake = new Intake(_wake, timeProvider, options.TrackMemoryBudgetBytes, options.BatchSize);
        _intakeDrops = new DropLog(timeProvider);
        _timer = timeProvider.CreateTimer(static state => ((AsyncSignal)state!).Set(), _wake, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _startTimestamp = timeProvider.GetTimestamp();
        _startTime = timeProvider.GetUtcNow();
    }

    /// <summary>The screen and Wi-Fi properties the app gave last (<see cref="MixpanelOptions.DeviceInfo"/>); set from any thread.</summary>
    public PropertyMap DeviceInfo
    {
        get => Volatile.Read(ref _deviceInfo);
        set
        {
            Volatile.Write(ref _deviceInfo, value);
            _wake.Set();
        }
    }

    /// <summary>Whether records are kept on disk, and whether delivery has halted.</summary>
    public DeliveryStatus Status => new(_isDurable && _identity.IsDurable, _haltedStatus == 0 ? null : _haltedStatus);

    /// <summary>Starts the loop; <paramref name="session"/> hears when its changes are saved.</summary>
    public void Start(IdentitySession? session)
    {
        _session = session;
        _lastSaved = session?.Current;
        _loop = Task.Run(RunAsync);
    }

    public void Enqueue(PendingRecord record)
    {
        if (_closed)
        {
            _counters.OnDropped(DropReason.Disposed, 1, wasQueued: false);
            Log.RecordAfterDispose(_logger);
            return;
        }

        _counters.OnAccepted();
        if (!_intake.TryAdd(record))
        {
            _counters.OnDropped(DropReason.QueueFull, 1, wasQueued: true);
            if (_intakeDrops.OnDropped() is > 0 and var dropped)
            {
                Log.IntakeFull(_logger, dropped);
            }
        }
    }

    public void Change(IdentityChange change) => _intake.Add(new IntakeItem(change));

    public void CatchUp()
    {
        Volatile.Write(ref _catchUpAsked, 1);
        _wake.Set();
    }

    /// <summary>The network is back: what waits to be retried goes at once.</summary>
    public void RetryNow()
    {
        Volatile.Write(ref _retryNow, 1);
        _wake.Set();
    }

    public void Purge(int optOutGeneration)
    {
        // What is on the wire now is abandoned at once; the rest goes when the loop reaches the marker.
        lock (_cancelGate)
        {
            _sendCancel.Cancel();
        }

        _intake.Add(new IntakeItem(new PurgeMarker(optOutGeneration)));
    }

    /// <summary>Completes once the records given before the call are delivered or dropped, or delivery halted or stopped.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => MarkAsync(deliver: true, cancellationToken);

    /// <summary>
    /// As <see cref="FlushAsync(CancellationToken)"/>, but a call that cannot be cancelled waits at most
    /// <paramref name="bound"/> and then returns, what is left still queued (and logged).
    /// </summary>
    public async Task FlushAsync(TimeSpan bound, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        using var timeout = _time.CreateTimeoutSource(bound);
        try
        {
            await FlushAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Log.FlushTimedOut(_logger, bound, _counters.Queued);
        }
    }

    /// <summary>Completes once the records and identity changes given before the call are stored.</summary>
    public Task PersistAsync(CancellationToken cancellationToken) => MarkAsync(deliver: false, cancellationToken);

    /// <summary>
    /// Delivers what it can within <paramref name="timeout"/>, then stores what is still in memory and stops. Never
    /// waits on a request: one still running is abandoned, its records stay stored.
    /// </summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (timeout > TimeSpan.Zero && !_closed)
        {
            using var deadline = _time.CreateTimeoutSource(timeout);
            try
            {
                await FlushAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Log.ShutdownTimedOut(_logger, timeout);
            }
        }

        _closed = true;
        _intake.Close();
        _stopping.Cancel();
        lock (_cancelGate)
        {
            _sendCancel.Cancel();
        }

        _wake.Set();
        using var grace = new CancellationTokenSource();
        var waited = await Task.WhenAny(_loop, _time.DelayAsync(StopGrace, grace.Token)).ConfigureAwait(false);
        grace.Cancel();
        if (waited != _loop)
        {
            Log.StopAbandoned(_logger, StopGrace);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_closed)
        {
            await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        }

        _timer.Dispose();
        _intake.Dispose();
        if (_loop.IsCompleted)
        {
            _queue.Dispose();
            _json.Dispose();
        }
    }

    private async Task MarkAsync(bool deliver, CancellationToken cancellationToken)
    {
        if (_closed)
        {
            return;
        }

        var request = new FlushRequest(deliver);
        _intake.Add(new IntakeItem(request));
        using (cancellationToken.Register(static state => ((FlushRequest)state!).Cancel(), request))
        {
            await request.Task.ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        Open();
        while (true)
        {
            var stopping = _stopping.IsCancellationRequested;
            try
            {
                // Answers first, so the wire is busy again before the loop turns to storing; storing takes a bounded
                // share of each turn and checks for answers as it goes.
                if (!stopping)
                {
                    SettleAnswers();
                    StartRequests();
                }

                TakeIntake(final: stopping);
                if (stopping)
                {
                    break;
                }

                CatchUpWithStoredIdentity();

                SettleAnswers();
                AdoptOrphansWhenIdle();
                StartRequests();
                CompleteFlushes();
                ArmTimer();
            }
#pragma warning disable CA1031 // The loop outlives any fault: it is logged, and the loop carries on after a pause. Records stay stored.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.DeliveryLoopFailed(_logger, TimeSpan.FromSeconds(1), exception);
                _timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
            }

            await _wake.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        if (!_queue.IsDurable)
        {
            // In memory, what was not delivered ends with the process.
            _counters.OnDropped(DropReason.Disposed, _queue.Count, wasQueued: true);
        }

        foreach (var flush in _flushes)
        {
            flush.Complete();
        }
    }

    /// <summary>Opens this process's queue slot, recovers what earlier runs left, and adopts slots of processes that died.</summary>
    private void Open()
    {
        if (_options.SendDefaultProperties)
        {
            _platformProperties = new PropertyMap([.. DeviceProperties.Read(_options.AppVersion, _options.AppBuildNumber, _describesThisMachine)]);
        }

        try
        {
            if (_queueDirectory is not null)
            {
                using (_identity.Lock())
                {
                    var stored = _identity.ReadLatest();
                    var discard = stored?.PendingRelease ?? 0;
                    _queue = RecordQueue.OpenSlot(_queueDirectory, _segmentBytes, discard, out var recovery) ?? RecordQueue.InMemory();
                    if (!_queue.IsDurable)
                    {
                        Log.QueueSlotsTaken(_logger);
                    }

                    CountRecovery(recovery + _queue.AdoptOrphans(_segmentBytes, discard));
                    ClearPendingRelease(stored);
                    if (stored?.OptedOut == true)
                    {
                        // An opt-out cut short by a crash: what it left is not sent.
                        _counters.OnDropped(DropReason.OptedOut, _queue.Purge(), wasQueued: true);
                    }
                }
            }
        }
#pragma warning disable CA1031 // Whatever is wrong with the disk, the app keeps running and records are kept in memory.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.QueueOpenFailed(_logger, exception);
            _queue.Dispose();
            _queue = RecordQueue.InMemory();
        }

        _isDurable = _queue.IsDurable;
        _nextAdoptionAt = _time.GetTimestamp() + Ticks(AdoptionInterval);
    }

    private void CountRecovery(QueueRecovery recovery)
    {
        if (recovery.Records > 0)
        {
            _counters.OnRecovered(recovery.Records);
            Log.QueueRecovered(_logger, recovery.Records);
        }

        if (recovery.Torn > 0)
        {
            _counters.OnDropped(DropReason.Corrupt, recovery.Torn, wasQueued: false);
            Log.QueueDamagedRecords(_logger, recovery.Torn);
        }
    }

    /// <summary>A release found cut short (its process died) has had its records discarded: the mark can go.</summary>
    private void ClearPendingRelease(IdentityState? stored)
    {
        if (stored is { PendingRelease: not 0 })
        {
            _identity.Save(stored.WithPendingRelease(0));
        }
    }

    private void AdoptOrphansWhenIdle()
    {
        var now = _time.GetTimestamp();
        if (!_queue.IsDurable || _queue.Count > 0 || _intake.Records > 0 || now < _nextAdoptionAt)
        {
            return;
        }

        _nextAdoptionAt = now + Ticks(AdoptionInterval);
        using (_identity.Lock())
        {
            var stored = _identity.ReadLatest();
            CountRecovery(_queue.AdoptOrphans(_segmentBytes, stored?.PendingRelease ?? 0));
            ClearPendingRelease(stored);
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private long Now => _time.GetTimestamp();
}
