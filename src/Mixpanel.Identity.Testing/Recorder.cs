namespace Mixpanel.Identity.Testing;

/// <summary>
/// Everything the server has received, behind one lock that each request takes twice, briefly: once on arrival and once to
/// record its outcome. Records are built (parsed and cloned) by the request before it takes the lock.
/// </summary>
internal sealed class Recorder
{
    private readonly object _gate = new();
    private readonly SnapshotList<ReceivedRequest> _requests = new();
    private readonly SnapshotList<ReceivedRecord> _records = new();
    private readonly SnapshotList<ReceivedRecord> _deduplicated = new();
    private readonly SnapshotList<RejectedRecord> _rejected = new();
    private readonly HashSet<DeduplicationKey> _seen = [];
    private int _nextRequestIndex;
    private long _nextSequence;
    private int _receivedRequestCount;
    private long _acceptedRecordCount;
    private long _rejectedRecordCount;
    private int _inFlight;
    private int _held;

    public IReadOnlyList<ReceivedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return _requests.Snapshot();
            }
        }
    }

    public IReadOnlyList<ReceivedRecord> Records
    {
        get
        {
            lock (_gate)
            {
                return _records.Snapshot();
            }
        }
    }

    public IReadOnlyList<ReceivedRecord> DeduplicatedRecords
    {
        get
        {
            lock (_gate)
            {
                return _deduplicated.Snapshot();
            }
        }
    }

    public IReadOnlyList<RejectedRecord> RejectedRecords
    {
        get
        {
            lock (_gate)
            {
                return _rejected.Snapshot();
            }
        }
    }

    public int ReceivedRequestCount => Volatile.Read(ref _receivedRequestCount);

    public long AcceptedRecordCount => Volatile.Read(ref _acceptedRecordCount);

    public long RejectedRecordCount => Volatile.Read(ref _rejectedRecordCount);

    public int InFlightRequestCount => Volatile.Read(ref _inFlight);

    public int HeldRequestCount => Volatile.Read(ref _held);

    /// <summary>A request arrived: it gets the next index and counts as in flight until <see cref="Complete"/>.</summary>
    public int Begin()
    {
        lock (_gate)
        {
            _inFlight++;
            return _nextRequestIndex++;
        }
    }

    public void Hold() => Interlocked.Increment(ref _held);

    public void Release() => Interlocked.Decrement(ref _held);

    /// <summary>
    /// Records a request's outcome and ingests its accepted records in one step, so a reader never sees records without their
    /// request. <paramref name="request"/>, <paramref name="records"/> and <paramref name="rejected"/> are null when records are
    /// not retained; the counts are kept either way.
    /// </summary>
    public void Complete(
        ReceivedRequest? request,
        int acceptedCount,
        ReceivedRecord[]? records,
        int rejectedCount,
        RejectedRecord[]? rejected,
        long receivedAtMilliseconds)
    {
        lock (_gate)
        {
            _inFlight--;
            _receivedRequestCount++;
            _acceptedRecordCount += acceptedCount;
            _rejectedRecordCount += rejectedCount;
            if (request is not null)
            {
                _requests.InsertSorted(request, static r => r.Index);
            }

            if (records is not null)
            {
                foreach (var record in records)
                {
                    record.Sequence = _nextSequence++;
                    _records.Add(record);
                    if (IsFirstOfItsKind(record, receivedAtMilliseconds))
                    {
                        _deduplicated.Add(record);
                    }
                }
            }
            else
            {
                _nextSequence += acceptedCount;
            }

            if (rejected is not null)
            {
                foreach (var record in rejected)
                {
                    _rejected.Add(record);
                }
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _requests.Clear();
            _records.Clear();
            _deduplicated.Clear();
            _rejected.Clear();
            _seen.Clear();
            _receivedRequestCount = 0;
            _acceptedRecordCount = 0;
            _rejectedRecordCount = 0;
        }
    }

    // Mixpanel deduplicates events on (event, distinct_id, time, $insert_id), keeping the first; an event without $insert_id
    // is never deduplicated, and profile updates are all applied (MIXPANEL.md). An event without time gets the server's now,
    // as Mixpanel stamps it.
    private bool IsFirstOfItsKind(ReceivedRecord record, long receivedAtMilliseconds) =>
        !record.IsEvent
        || record.InsertId is null
        || _seen.Add(new DeduplicationKey(
            record.EventName ?? "",
            record.DistinctId ?? "",
            record.Time ?? receivedAtMilliseconds,
            record.InsertId));

    private readonly record struct DeduplicationKey(string EventName, string DistinctId, long Time, string InsertId);
}
