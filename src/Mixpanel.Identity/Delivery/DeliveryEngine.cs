using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// The loop that gets records to Mixpanel, over its parts: the app's threads hand it records, identity changes and
/// markers through the <see cref="Intake"/>; each turn it hands records to the <see cref="RecordWriter"/>, changes to
/// the <see cref="IdentitySaver"/>, and lets each endpoint's <see cref="EndpointSender"/> settle its answer and start
/// its next request. Requests run on their own and wake the loop when answered; the loop never waits on the network
/// or the disk's pauses, so a stuck request delays nothing but its own endpoint.
/// </summary>
/// <remarks>
/// With nothing queued the loop sleeps with no timer set. It wakes for records, a marker, an answer, or its one timer:
/// the earliest of the gathering deadline (<see cref="MixpanelOptions.PersistInterval"/>), the periodic send
/// (<see cref="MixpanelOptions.FlushInterval"/>, only while records are stored), the disk's pause and each sender's retry.
/// </remarks>
internal sealed class DeliveryEngine : IRecordSink, IAsyncDisposable
{
    // Records taken from the intake in one turn of the loop, before it looks at answers again.
    private const int MaxTakenPerTurn = 2048;

    // The longest disposal waits for the loop's last write after ShutdownTimeout, whatever the disk does.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan AdoptionInterval = TimeSpan.FromMinutes(1);

    private readonly MixpanelOptions _options;
    private readonly IdentityStore? _identity;
    private readonly string? _queueDirectory;
    private readonly RecordDefaults _defaults;
    private readonly long _segmentBytes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DeliveryCounters _counters;
    private readonly AsyncSignal _wake = new();
    private readonly Intake _intake;
    private readonly DropLog _intakeDrops;
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _cancelGate = new();
    private readonly RecordWriter _writer;
    private readonly EndpointSender[] _senders;
    private readonly List<FlushRequest> _flushes = [];
    private IdentitySaver? _saver;
    private Task _loop = Task.CompletedTask;
    private CancellationTokenSource _sendCancel = new();
    private volatile int _haltedStatus;
    private volatile bool _isDurable = true;
    private volatile bool _closed;
    private PropertyMap _deviceInfo = PropertyMap.Empty;
    private int _retryNow;

    // Owned by the loop: an item it must take again (the disk is failing), records taken and not yet counted off the
    // intake's shared count (done in groups), the periodic send, and the next look for orphaned slots.
    private IntakeItem? _heldItem;
    private int _takenUncounted;
    private long _flushDueAt;
    private long _nextAdoptionAt;

    public DeliveryEngine(
        MixpanelOptions options,
        HttpClient httpClient,
        IdentityStore? identity,
        string? queueDirectory,
        RecordDefaults defaults,
        TimeProvider timeProvider,
        ILogger logger,
        DeliveryCounters counters,
        Func<double>? random = null)
    {
        _options = options;
        _identity = identity;
        _queueDirectory = queueDirectory;
        _defaults = defaults;
        _time = timeProvider;
        _logger = logger;
        _counters = counters;
        Sender = new HttpSender(httpClient, options, timeProvider);

        // Segments of an eighth of the byte budget (64 KiB to 4 MiB): the queue frees space a segment at a time.
        _segmentBytes = Math.Min(Math.Max(options.MaxQueueBytes / 8, 64 * 1024), 4 * 1024 * 1024);
        _intake = new Intake(_wake, timeProvider, options.TrackMemoryBudgetBytes, options.BatchSize);
        _intakeDrops = new DropLog(timeProvider);
        _writer = new RecordWriter(options, new RecordSerializer(options.ProjectToken, defaults.Library, options.ExcludeProperties), _intake, timeProvider, logger, counters);
        _senders = [.. RecordEndpoints.All.Select(endpoint => new EndpointSender(endpoint, options, Sender, _writer, _wake, timeProvider, logger, counters, random ?? Backoff.SharedRandom))];
        _timer = timeProvider.CreateTimer(static state => ((AsyncSignal)state!).Set(), _wake, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>How the engine sends, shared with the bulk importer: the same endpoints, credentials and timeout.</summary>
    public HttpSender Sender { get; }

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
    public DeliveryStatus Status => new(_isDurable && (_identity?.IsDurable ?? true), _haltedStatus == 0 ? null : _haltedStatus);

    /// <summary>Starts the loop; a device's <paramref name="session"/> has its changes saved, and hears when they are.</summary>
    public void Start(IdentitySession? session)
    {
        if (session is not null && _identity is not null)
        {
            _saver = new IdentitySaver(_identity, session, _writer, _counters, _logger);
        }

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
        _saver?.AskCatchUp();
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
            _writer.Dispose();
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

                _saver?.CatchUp();
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

        if (!_writer.Queue.IsDurable)
        {
            // In memory, what was not delivered ends with the process.
            _counters.OnDropped(DropReason.Disposed, _writer.Queue.Count, wasQueued: true);
        }

        foreach (var flush in _flushes)
        {
            flush.Complete();
        }
    }

    /// <summary>
    /// Takes everything waiting, in order: records to the writer (which writes a group when it is due), identity
    /// changes to the saver after the records before them, and markers. On the final pass everything is written,
    /// whatever the gathering rules say.
    /// </summary>
    private void TakeIntake(bool final)
    {
        var taken = 0;
        while (true)
        {
            if (_writer.IsFull && !TryCommit(final))
            {
                // The disk is failing: records wait in the intake, within its budget, until it recovers.
                break;
            }

            IntakeItem item;
            if (_heldItem is { } held)
            {
                item = held;
            }
            else if (_intake.TryTake(out item))
            {
                if (item.Record is not null)
                {
                    _takenUncounted++;
                }
            }
            else
            {
                break;
            }

            _heldItem = null;
            if (!Process(item, final))
            {
                _heldItem = item;
                break;
            }

            if (++taken % 256 == 0)
            {
                CountOffTaken();
                if (!final && _senders.Any(static sender => sender.HasAnswer))
                {
                    SettleAnswers();
                    StartRequests();
                }
            }

            if (!final && taken == MaxTakenPerTurn)
            {
                // The rest is taken in the next turn, after the answers that came in meanwhile.
                _wake.Set();
                break;
            }
        }

        SaveChanges(final);
        CountOffTaken();
        if (_writer.ShouldCommit(final, (endpoint, waiting) => _senders[(int)endpoint].WouldFill(waiting)))
        {
            TryCommit(final);
        }
    }

    /// <summary>Acts on one item; false when it must wait (the disk is failing) and be taken again.</summary>
    private bool Process(IntakeItem item, bool final)
    {
        // Changes are saved before anything that follows them: a released profile update must reach the queue before
        // a later update of the same profile.
        if (item.Change is null && !SaveChanges(final) && item.Marker is FlushRequest)
        {
            return false;
        }

        if (item.Record is { } record)
        {
            _writer.Write(record, DeviceInfo);
            if (_flushDueAt == 0)
            {
                // The periodic send counts from the first record that waits for it.
                _flushDueAt = _time.GetTimestamp() + Ticks(_options.FlushInterval);
            }

            return true;
        }

        switch ((object?)item.Change ?? item.Marker)
        {
            case IdentityChange change:
                if (_writer.GroupCount > 0 && !TryCommit(final))
                {
                    return false;
                }

                _saver?.Add(change);
                return true;
            case PurgeMarker purge:
                PurgeQueue(purge.Generation);
                return true;
            case FlushRequest flush:
                if (_writer.GroupCount > 0 && !TryCommit(final))
                {
                    return false;
                }

                if (!flush.Deliver)
                {
                    flush.Complete();
                    return true;
                }

                for (var i = 0; i < RecordEndpoints.Count; i++)
                {
                    flush.Targets[i] = _writer.Queue[(RecordEndpoint)i].AppendedTotal;
                    _senders[i].Drain(flush.Targets[i]);
                }

                _flushes.Add(flush);
                return true;
            default:
                throw new InvalidOperationException("An empty intake item.");
        }
    }

    private bool SaveChanges(bool final) => _saver is null || _saver.TrySave(final, AdoptOrphans);

    /// <summary>Writes the groups; false while the disk is failing. Records the queue's bounds dropped are done with at once.</summary>
    private bool TryCommit(bool final)
    {
        CountOffTaken();
        if (!_writer.TryCommit(final, out var trimmed))
        {
            return false;
        }

        if (trimmed > 0)
        {
            // Flushes waiting on what the endpoints with nothing on the wire consumed (trimmed) can complete.
            foreach (var sender in _senders)
            {
                if (!sender.IsBusy)
                {
                    sender.Commit();
                }
            }
        }

        return true;
    }

    private void CountOffTaken()
    {
        _intake.OnProgress(_takenUncounted, _writer.LastRecordBytes);
        _takenUncounted = 0;
    }

    /// <summary>The user opted out: everything not yet delivered goes, the batches on the wire included.</summary>
    private void PurgeQueue(int generation)
    {
        var discarded = _writer.Purge(generation);
        foreach (var sender in _senders)
        {
            discarded += sender.Purge();
        }

        _counters.OnDropped(DropReason.OptedOut, discarded, wasQueued: true);
        lock (_cancelGate)
        {
            if (_sendCancel.IsCancellationRequested)
            {
                _sendCancel = new CancellationTokenSource();
            }
        }
    }

    private void SettleAnswers()
    {
        var stopping = _stopping.IsCancellationRequested;
        foreach (var sender in _senders)
        {
            if (sender.Settle(stopping) is not 0 and var halted)
            {
                _haltedStatus = halted;
            }
        }
    }

    /// <summary>Starts a request on every endpoint that has nothing on the wire, is not waiting to retry, and has something to send.</summary>
    private void StartRequests()
    {
        // Aged events the import log could not take yet: tried again once the disk's pause is over.
        AppendAged();
        if (_haltedStatus != 0)
        {
            return;
        }

        var now = _time.GetTimestamp();
        var retryNow = Interlocked.Exchange(ref _retryNow, 0) == 1;
        var periodic = _flushDueAt != 0 && now >= _flushDueAt;
        if (periodic)
        {
            // The periodic send: whatever is stored goes, full batch or not.
            _flushDueAt = 0;
        }

        CancellationToken token;
        lock (_cancelGate)
        {
            token = _sendCancel.Token;
        }

        foreach (var sender in _senders)
        {
            if (retryNow)
            {
                sender.RetryNow();
            }

            if (periodic)
            {
                sender.Drain(_writer.Queue[sender.Kind].AppendedTotal);
            }

            sender.Start(token);
        }

        AppendAged();

        // Idle means idle: the periodic send is armed only while something is stored or about to be.
        if (_writer.Queue.Count == 0 && _writer.GroupCount == 0)
        {
            _flushDueAt = 0;
        }
        else if (_flushDueAt == 0)
        {
            _flushDueAt = now + Ticks(_options.FlushInterval);
        }
    }

    /// <summary>Appends aged events to the import log: they are late already, so they go now, and flushes wait for them there.</summary>
    private void AppendAged()
    {
        if (!_writer.TryAppendAged())
        {
            return;
        }

        var moved = _writer.Queue[RecordEndpoint.Import].AppendedTotal;
        _senders[(int)RecordEndpoint.Import].Drain(moved);
        foreach (var flush in _flushes)
        {
            flush.Targets[(int)RecordEndpoint.Import] = Math.Max(flush.Targets[(int)RecordEndpoint.Import], moved);
        }

        // /track's cursor, held back at them, may move on now.
        var track = _senders[(int)RecordEndpoint.Track];
        if (!track.IsBusy)
        {
            track.Commit();
        }
    }

    private void CompleteFlushes()
    {
        for (var i = _flushes.Count - 1; i >= 0; i--)
        {
            var flush = _flushes[i];
            if (_haltedStatus != 0 || IsCompleted(flush))
            {
                flush.Complete();
                _flushes.RemoveAt(i);
            }
        }
    }

    private bool IsCompleted(FlushRequest flush)
    {
        for (var i = 0; i < RecordEndpoints.Count; i++)
        {
            if (_senders[i].HaltedStatus == 0 && _writer.Queue[(RecordEndpoint)i].CompletedTotal < flush.Targets[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Sets the one timer to the earliest moment the loop has something to do; none when it has nothing.</summary>
    private void ArmTimer()
    {
        var now = _time.GetTimestamp();
        var due = _writer.DueAt;
        if ((_saver?.HasChanges == true || _heldItem is not null || _writer.HasAged) && _writer.RetryAt > now)
        {
            due = Math.Min(due, _writer.RetryAt);
        }

        if (_haltedStatus == 0)
        {
            if (_flushDueAt != 0)
            {
                due = Math.Min(due, _flushDueAt);
            }

            foreach (var sender in _senders)
            {
                due = Math.Min(due, sender.NextDue());
            }
        }

        if (due == long.MaxValue)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var wait = due - now;
        if (wait <= 0)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _wake.Set();
            return;
        }

        _timer.Change(TimeSpan.FromTicks((long)(wait * (TimeSpan.TicksPerSecond / (double)_time.TimestampFrequency))), Timeout.InfiniteTimeSpan);
    }

    /// <summary>Opens this process's queue slot, recovers what earlier runs left, and adopts slots of processes that died.</summary>
    private void Open()
    {
        var platform = _options.SendDefaultProperties ? new PropertyMap([.. _defaults.ReadPlatform()]) : PropertyMap.Empty;
        var queue = RecordQueue.InMemory();
        try
        {
            if (_queueDirectory is not null)
            {
                using (_identity?.Lock())
                {
                    var stored = _identity?.ReadLatest();
                    var discard = stored?.PendingRelease ?? 0;
                    queue = RecordQueue.OpenSlot(_queueDirectory, _segmentBytes, discard, out var recovery) ?? RecordQueue.InMemory();
                    if (!queue.IsDurable)
                    {
                        Log.QueueSlotsTaken(_logger);
                    }

                    CountRecovery(recovery + queue.AdoptOrphans(_segmentBytes, discard));
                    ClearPendingRelease(stored);
                    if (stored?.OptedOut == true)
                    {
                        // An opt-out cut short by a crash: what it left is not sent.
                        _counters.OnDropped(DropReason.OptedOut, queue.Purge(), wasQueued: true);
                    }
                }
            }
        }
#pragma warning disable CA1031 // Whatever is wrong with the disk, the app keeps running and records are kept in memory.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.QueueOpenFailed(_logger, exception);
            queue.Dispose();
            queue = RecordQueue.InMemory();
        }

        _writer.Open(queue, platform);
        _isDurable = queue.IsDurable;
        _nextAdoptionAt = _time.GetTimestamp() + Ticks(AdoptionInterval);
    }

    private QueueRecovery AdoptOrphans(long discardTag)
    {
        var recovery = _writer.Queue.AdoptOrphans(_segmentBytes, discardTag);
        CountRecovery(recovery);
        return recovery;
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
            _identity!.Save(stored.WithPendingRelease(0));
        }
    }

    private void AdoptOrphansWhenIdle()
    {
        var now = _time.GetTimestamp();
        var queue = _writer.Queue;
        if (!queue.IsDurable || queue.Count > 0 || _intake.Records > 0 || now < _nextAdoptionAt)
        {
            return;
        }

        _nextAdoptionAt = now + Ticks(AdoptionInterval);
        using (_identity?.Lock())
        {
            var stored = _identity?.ReadLatest();
            AdoptOrphans(stored?.PendingRelease ?? 0);
            ClearPendingRelease(stored);
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
