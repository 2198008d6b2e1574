using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// The one loop behind <see cref="DeliveryEngine"/>: each turn it settles the senders' answers and starts their next
/// requests, takes what the intake holds in order (records to the <see cref="RecordWriter"/>, identity changes to the
/// <see cref="IdentitySaver"/>, markers to itself), and sets its one timer. It owns the flushes waiting, the periodic
/// send and whether delivery has halted; each part owns the rest of its own state.
/// </summary>
/// <remarks>
/// With nothing queued the loop sleeps with no timer set. It wakes for records, a marker, an answer, or its one timer:
/// the earliest of the gathering deadline (<see cref="MixpanelOptions.PersistInterval"/>), the periodic send
/// (<see cref="MixpanelOptions.FlushInterval"/>, only while records are stored), the disk's pause and each sender's retry.
/// </remarks>
internal sealed class DeliveryLoop : IDisposable
{
    // Records taken from the intake in one turn of the loop, before it looks at answers again.
    private const int MaxTakenPerTurn = 2048;

    private readonly MixpanelOptions _options;
    private readonly RecordDefaults _defaults;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DeliveryCounters _counters;
    private readonly AsyncSignal _wake;
    private readonly Intake _intake;
    private readonly ITimer _timer;
    private readonly QueueSlots _slots;
    private readonly RecordWriter _writer;
    private readonly SenderSet _senders;
    private readonly IdentityStore? _identity;
    private readonly CancellationTokenSource _stopping = new();

    private IdentitySaver? _saver;
    private PropertyMap _deviceInfo = PropertyMap.Empty;
    private volatile bool _isDurable = true;

    // Owned by the loop: an item it must take again (the disk is failing), and records taken and not yet counted off
    // the intake's shared count (done in groups).
    private IntakeItem? _heldItem;
    private bool _ended;
    private int _takenUncounted;

    public DeliveryLoop(
        MixpanelOptions options,
        HttpSender sender,
        IdentityStore? identity,
        string? queueDirectory,
        RecordDefaults defaults,
        Intake intake,
        AsyncSignal wake,
        TimeProvider timeProvider,
        ILogger logger,
        DeliveryCounters counters,
        Func<double> random)
    {
        _options = options;
        _identity = identity;
        _defaults = defaults;
        _intake = intake;
        _wake = wake;
        _time = timeProvider;
        _logger = logger;
        _counters = counters;
        _slots = new QueueSlots(options, identity, queueDirectory, timeProvider, logger, counters);
        _writer = new RecordWriter(options, new RecordSerializer(options.ProjectToken, defaults.Library, options.ExcludeProperties), intake, timeProvider, logger, counters, wake);
        _senders = new SenderSet(options, sender, _writer, wake, timeProvider, logger, counters, random);
        _timer = timeProvider.CreateTimer(static state => ((AsyncSignal)state!).Set(), wake, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The screen and Wi-Fi properties the app gave last; set from any thread.</summary>
    public PropertyMap DeviceInfo
    {
        get => Volatile.Read(ref _deviceInfo);
        set => Volatile.Write(ref _deviceInfo, value);
    }

    /// <summary>Whether records are kept on disk, and whether delivery has halted.</summary>
    public DeliveryStatus Status => new(_isDurable && (_identity?.IsDurable ?? true), _senders.HaltedStatus == 0 ? null : _senders.HaltedStatus);

    /// <summary>Starts the loop; a device's <paramref name="session"/> has its changes saved, and hears when they are.</summary>
    public Task Start(IdentitySession? session)
    {
        if (session is not null && _identity is not null)
        {
            _saver = new IdentitySaver(_identity, session, _writer, _counters, _logger);
        }

        return Task.Run(RunAsync);
    }

    /// <summary>From any thread: another process changed the identity, to be read by the loop.</summary>
    public void AskCatchUp() => _saver?.AskCatchUp();

    /// <summary>From any thread: the network is back, what waits to be retried goes at once.</summary>
    public void RetryNow() => _senders.RetryNow();

    /// <summary>From any thread: abandons the requests on the wire (an opt-out, or stopping).</summary>
    public void CancelSends() => _senders.CancelSends();

    /// <summary>From any thread: the loop's next turn is its last, which writes what is in memory.</summary>
    public void Stop()
    {
        _stopping.Cancel();
        CancelSends();
    }

    /// <summary>Releases the timer, and the queue once the loop has ended (a loop still writing keeps it until the process ends).</summary>
    public void Dispose()
    {
        _timer.Dispose();
        if (Volatile.Read(ref _ended))
        {
            _writer.Dispose();
            _senders.Dispose();
            _stopping.Dispose();
        }
    }

    private async Task RunAsync()
    {
        var queue = _slots.Open();
        _writer.Open(queue, _options.SendDefaultProperties ? new PropertyMap([.. _defaults.ReadPlatform()]) : PropertyMap.Empty);
        _isDurable = queue.IsDurable;
        while (true)
        {
            var stopping = _stopping.IsCancellationRequested;
            try
            {
                // Answers first, so the wire is busy again before the loop turns to storing; storing takes a bounded
                // share of each turn and checks for answers as it goes.
                if (!stopping)
                {
                    _senders.Settle(_stopping.IsCancellationRequested);
                    _senders.Start();
                }

                TakeIntake(final: stopping);
                if (stopping)
                {
                    break;
                }

                _saver?.CatchUp();
                _writer.CompleteSyncs();
                _senders.Settle(_stopping.IsCancellationRequested);
                _slots.AdoptWhenIdle(_writer.Queue, _intake.Records);
                _senders.Start();
                _senders.CompleteFlushes();
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

        try
        {
            // What was written and is still being flushed to the disk is on it before the loop ends, and what was
            // delivered is committed.
            TryCommit(final: true);
            _senders.CommitSettled();
            if (!_writer.Queue.IsDurable)
            {
                // In memory, what was not delivered ends with the process.
                _counters.OnDropped(DropReason.Disposed, _writer.Queue.Count, wasQueued: true);
            }
        }
        finally
        {
            _senders.CompleteAllFlushes();
            Volatile.Write(ref _ended, true);
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
            if (_writer.IsFull && !TryCommit(final, durable: false))
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
                if (!final && _senders.HasAnswer)
                {
                    _senders.Settle(_stopping.IsCancellationRequested);
                    _senders.Start();
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
        if (_writer.ShouldCommit(final, _senders.WouldFill))
        {
            TryCommit(final, durable: false);
        }
    }

    /// <summary>Acts on one item; false when it must wait (the disk is failing) and be taken again.</summary>
    private bool Process(IntakeItem item, bool final)
    {
        // Changes are saved before anything that follows them: a released profile update must reach the queue before
        // a later update of the same profile. A flush waits for them, except on the final pass: nothing is taken after
        // it, so the records behind the flush would end with the process, uncounted, and the flush never complete.
        if (item.Change is null && !SaveChanges(final) && item.Marker is FlushRequest && !final)
        {
            return false;
        }

        if (item.Record is { } record)
        {
            _writer.Write(record, DeviceInfo);
            _senders.OnRecordWritten();
            return true;
        }

        switch ((object?)item.Change ?? item.Marker)
        {
            case IdentityChange change:
                if (!TryCommit(final))
                {
                    return false;
                }

                _saver?.Add(change);
                return true;
            case PurgeMarker purge:
                PurgeQueue(purge.Generation);
                return true;
            case FlushRequest flush:
                if (!TryCommit(final))
                {
                    return false;
                }

                if (!flush.Deliver)
                {
                    flush.Complete();
                    return true;
                }

                _senders.AddFlush(flush);
                return true;
            default:
                throw new InvalidOperationException("An empty intake item.");
        }
    }

    private bool SaveChanges(bool final) => _saver is null || _saver.TrySave(final, discardTag => _slots.Adopt(_writer.Queue, discardTag));

    /// <summary>
    /// Writes the groups; false while the disk is failing. Records the queue's bounds dropped are done with at once.
    /// <paramref name="durable"/>: on the disk when this returns, as a flush or an identity change needs; otherwise the
    /// disk flushes them while the loop goes on.
    /// </summary>
    private bool TryCommit(bool final, bool durable = true)
    {
        CountOffTaken();
        if (!_writer.TryCommit(final, out var trimmed, durable))
        {
            return false;
        }

        if (trimmed > 0)
        {
            // Flushes waiting on what the endpoints with nothing on the wire consumed (trimmed) can complete.
            _senders.CommitIdle();
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
        var discarded = _writer.Purge(generation) + _senders.Purge();
        _counters.OnDropped(DropReason.OptedOut, discarded, wasQueued: true);
    }

    /// <summary>Sets the one timer to the earliest moment the loop has something to do; none when it has nothing.</summary>
    private void ArmTimer()
    {
        var now = _time.GetTimestamp();
        var due = _writer.DueAt;
        if (_writer.RetryAt > now && (_saver?.HasChanges == true || _heldItem is not null || _writer.HasAged || !_writer.Queue.IsSynced))
        {
            due = Math.Min(due, _writer.RetryAt);
        }

        due = Math.Min(due, _senders.NextDue());

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

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
