using System.Collections.Concurrent;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// The hand-off from the app's threads to the engine's loop: records, identity changes and markers, in the order
/// given. Records wait here as objects until the loop serializes and stores them; their memory is bounded by
/// <see cref="BudgetBytes"/> of their JSON: past it, <c>Track</c> waits for the loop to catch up, for at most
/// <see cref="StallTimeout"/> in all while the loop makes no progress (a disk that hangs). After that, records are
/// kept here up to the queue's bounds, and beyond those new ones are dropped and counted.
/// </summary>
internal sealed class Intake : IDisposable
{
    /// <summary>Records waiting for the loop, measured as their JSON: about 8 MiB (their objects take two to three times that).</summary>
    public const long BudgetBytes = 8L * 1024 * 1024;

    /// <summary>The longest <c>Track</c> waits for a loop that makes no progress at all.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(1);

    private readonly ConcurrentQueue<object> _items = new();
    private readonly AsyncSignal _wake;
    private readonly long _maxCount;
    private readonly long _maxBytes;
    private readonly int _wakeEvery;
    private readonly object _roomGate = new();
    private readonly ITimer _stallTimer;
    private int _records;
    private volatile int _averageRecordBytes = 512;
    private int _waiting;
    private volatile bool _stalled;
    private volatile bool _closed;

    public Intake(AsyncSignal wake, TimeProvider timeProvider, long maxCount, long maxBytes, int wakeEvery)
    {
        _wake = wake;
        _maxCount = maxCount;
        _maxBytes = maxBytes;
        _wakeEvery = wakeEvery;
        _stallTimer = timeProvider.CreateTimer(static state => ((Intake)state!).OnStalled(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Records waiting for the loop.</summary>
    public int Records => Volatile.Read(ref _records);

    /// <summary>Their estimated bytes, as JSON.</summary>
    public long EstimatedBytes => (long)Records * _averageRecordBytes;

    /// <summary>
    /// Adds a record, waiting for room if the loop is behind; false when it cannot be kept (the loop is stalled and
    /// the queue's bounds are reached here alone).
    /// </summary>
    public bool TryAdd(PendingRecord record)
    {
        var count = Interlocked.Increment(ref _records);
        var average = _averageRecordBytes;
        if ((long)count * average > BudgetBytes)
        {
            WaitForRoom();
        }

        // Only while the loop makes no progress: otherwise the loop applies the bounds, oldest records first.
        if (_stalled && (count > _maxCount || (long)count * average > _maxBytes))
        {
            Interlocked.Decrement(ref _records);
            return false;
        }

        _items.Enqueue(record);

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
    public void Add(object item)
    {
        _items.Enqueue(item);
        _wake.Set();
    }

    /// <summary>The loop's side: the next item, if any. Records taken are counted off by <see cref="OnProgress"/>.</summary>
    public bool TryTake(out object item) => _items.TryDequeue(out item!);

    /// <summary>The loop has taken <paramref name="records"/> records: callers waiting for room may go on.</summary>
    public void OnProgress(int records, int recordBytes)
    {
        // Counted off in groups: one write to the shared count for many records, not one each.
        if (records > 0)
        {
            Interlocked.Add(ref _records, -records);
        }

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

                // Callers go on once the loop has taken half the budget: they then run for a while without waiting,
                // rather than waking for every few records the loop takes.
                if ((long)Records * _averageRecordBytes <= BudgetBytes / 2)
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

    private void WaitForRoom()
    {
        lock (_roomGate)
        {
            if (_stalled)
            {
                return;
            }

            if (++_waiting == 1)
            {
                _stallTimer.Change(StallTimeout, Timeout.InfiniteTimeSpan);
            }

            _wake.Set();
            while ((long)Records * _averageRecordBytes > BudgetBytes && !_stalled && !_closed)
            {
                Monitor.Wait(_roomGate);
            }

            if (--_waiting == 0)
            {
                _stallTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
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
