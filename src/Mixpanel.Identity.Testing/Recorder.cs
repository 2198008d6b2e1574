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

    public IReadOnlyList<ReceivedRequest> Requests => Snapshot(_requests);

    public IReadOnlyList<ReceivedRecord> Records => Snapshot(_records);

    public IReadOnlyList<ReceivedRecord> DeduplicatedRecords => Snapshot(_deduplicated);

    public IReadOnlyList<RejectedRecord> RejectedRecords => Snapshot(_rejected);

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

    private IReadOnlyList<T> Snapshot<T>(SnapshotList<T> list)
    {
        lock (_gate)
        {
            return list.Snapshot();
        }
    }

    private bool IsFirstOfItsKind(ReceivedRecord record, long receivedAtMilliseconds) =>
        DeduplicationKey.AsStored(record, receivedAtMilliseconds) is not { } key || _seen.Add(key);
}
