using System.Collections.Concurrent;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// The hand-off from the app's threads to the engine's loop: records, identity changes and markers, in the order
/// given. Records wait here as objects until the loop serializes and stores them; their memory is bounded by a budget
/// of their JSON (<see cref="MixpanelOptions.TrackMemoryBudgetBytes"/>). Past it, <c>Track</c> waits for a loop that is
/// catching up, for at most <see cref="StallTimeout"/> in all while the loop takes nothing; while storage is failing,
/// or once the loop stalled, it never waits: a record beyond the budget is dropped, and counted by the caller.
/// </summary>
internal sealed class Intake : IDisposable
{
    /// <summary>The longest <c>Track</c> waits for a loop that takes nothing at all.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(1);

    private readonly ConcurrentQueue<IntakeItem> _items = new();
    private readonly AsyncSignal _wake;
    private readonly long _budgetBytes;
    private readonly int _wakeEvery;
    private readonly object _roomGate = new();
    private readonly ITimer _stallTimer;
    private int _records;
    private volatile int _averageRecordBytes = 512;
    private int _waiting;
    private volatile bool _stalled;
    private volatile bool _storageFailing;
    private volatile bool _closed;

    public Intake(AsyncSignal wake, TimeProvider timeProvider, long budgetBytes, int wakeEvery)
    {
        _wake = wake;
        _budgetBytes = budgetBytes;
        _wakeEvery = wakeEvery;
        _stallTimer = timeProvider.CreateTimer(static state => ((Intake)state!).OnStalled(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Where callers waiting for room go on: a sixteenth of the budget below it.</summary>
    private long ResumeBytes => _budgetBytes - (_budgetBytes / 16);

    /// <summary>Records waiting for the loop.</summary>
    public int Records => Volatile.Read(ref _records);

    /// <summary>Their estimated bytes, as JSON.</summary>
    public long EstimatedBytes => (long)Records * _averageRecordBytes;

    /// <summary>
    /// Set by the loop while storage fails (and cleared once a write succeeds): nobody waits for room meanwhile, since
    /// the loop is not going to make any.
    /// </summary>
    public bool StorageFailing
    {
        get => _storageFailing;
        set
        {
            if (_storageFailing == value)
            {
                return;
            }

            _storageFailing = value;
            if (value)
            {
                lock (_roomGate)
                {
                    Monitor.PulseAll(_roomGate);
                }
            }
        }
    }

    /// <summary>
    /// Adds a record; when the budget is spent, waits for the loop to make room, unless it cannot (storage failing,
    /// the loop stalled): false then, and the record is not kept.
    /// </summary>
    public bool TryAdd(PendingRecord record)
    {
        var count = Interlocked.Increment(ref _records);
        if ((long)count * _averageRecordBytes > _budgetBytes && (_storageFailing || _stalled || !WaitForRoom()))
        {
            Interlocked.Decrement(ref _records);
            return false;
        }

        _items.Enqueue(new IntakeItem(record));

        // The loop is woken when records arrive after a pause and when a batch's worth is waiting, not on every
        // record: it takes everything waiting whenever it runs. (Each count is seen by one caller, so each crossing
        // wakes it once.)
        if (count == 1 || count == _wakeEvery)
        {
            _wake.Set();
        }

        return true;
    }

    /// <summary>Adds an identity change or a marker, and wakes the loop.</summary>
    public void Add(IntakeItem item)
    {
        _items.Enqueue(item);
        _wake.Set();
    }

    /// <summary>The loop's side: the next item, if any. Records taken are counted off by <see cref="OnProgress"/>.</summary>
    public bool TryTake(out IntakeItem item) => _items.TryDequeue(out item);

    /// <summary>The loop has taken <paramref name="records"/> records: callers waiting for room may go on.</summary>
    public void OnProgress(int records, int recordBytes)
    {
        // A turn that took nothing is no progress: a loop that stores nothing must not keep callers waiting turn after turn.
        if (records <= 0)
        {
            return;
        }

        // Counted off in groups: one write to the shared count for many records, not one each.
        Interlocked.Add(ref _records, -records);

        // A running average of the JSON size, so that the budget follows the app's records.
        if (recordBytes > 0)
        {
            _averageRecordBytes = Math.Max(64, _averageRecordBytes + ((recordBytes - _averageRecordBytes) / 16));
        }

        if (Volatile.Read(ref _waiting) == 0 && !_stalled)
        {
            return;
        }

        lock (_roomGate)
        {
            _stalled = false;
            if (_waiting > 0)
            {
                _stallTimer.Change(StallTimeout, Timeout.InfiniteTimeSpan);

                // Callers go on once the loop has taken a sixteenth of the budget: a wait lasts as long as the loop
                // takes to store that much, not the whole backlog, and callers are woken a few times per budget.
                if (EstimatedBytes <= ResumeBytes)
                {
                    Monitor.PulseAll(_roomGate);
                }
            }
        }
    }

    /// <summary>The client is stopping: nobody waits for room any more.</summary>
    public void Close()
    {
        lock (_roomGate)
        {
            _closed = true;
            Monitor.PulseAll(_roomGate);
        }
    }

    public void Dispose() => _stallTimer.Dispose();

    /// <summary>Waits until the loop brings the records under budget; false when it will not (stalled, storage failing, closing).</summary>
    private bool WaitForRoom()
    {
        lock (_roomGate)
        {
            if (++_waiting == 1)
            {
                _stallTimer.Change(StallTimeout, Timeout.InfiniteTimeSpan);
            }

            _wake.Set();
            while (EstimatedBytes > ResumeBytes && !_stalled && !_storageFailing && !_closed)
            {
                Monitor.Wait(_roomGate);
            }

            if (--_waiting == 0)
            {
                _stallTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }

            return !_stalled && !_storageFailing && !_closed;
        }
    }

    private void OnStalled()
    {
        lock (_roomGate)
        {
            _stalled = true;
            Monitor.PulseAll(_roomGate);
        }
    }
}

/// <summary>One thing handed to the loop: a record, an identity change, or a marker (an opt-out's purge, a flush).</summary>
internal readonly struct IntakeItem
{
    private readonly object _value;

    public IntakeItem(PendingRecord record) => _value = record;

    public IntakeItem(Users.IdentityChange change) => _value = change;

    public IntakeItem(IntakeMarker marker) => _value = marker;

    public PendingRecord? Record => _value as PendingRecord;

    public Users.IdentityChange? Change => _value as Users.IdentityChange;

    public IntakeMarker? Marker => _value as IntakeMarker;
}

/// <summary>A marker in the intake's order: what the loop does once it has taken everything given before it.</summary>
internal abstract class IntakeMarker;
