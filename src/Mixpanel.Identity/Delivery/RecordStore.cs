using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>What opening the queue on disk found from earlier runs.</summary>
internal readonly record struct QueueRecovery(long Records, IReadOnlyList<string> DamagedSegments)
{
    /// <summary>Records found damaged and cut off: each torn tail counts once.</summary>
    public long DamagedRecords => DamagedSegments.Count;
}

/// <summary>What a lease took from a log besides the records it returned.</summary>
internal readonly record struct LeaseResult(int Count, int Expired, int Damaged);

/// <summary>
/// The queue: one log per endpoint, each first-in first-out, with the limits on size applied across all three
/// (oldest records go first, by sequence number). The writer appends; the sender leases a batch from one log,
/// delivers it, and completes it, which commits it away. An endpoint may have several leases out; they are completed
/// in the order they were taken, so a log is only ever committed up to the end of a delivered batch. One lock guards
/// the logs' bookkeeping; the writer's disk writes and flushes happen outside it.
/// </summary>
internal sealed class RecordStore : IDisposable
{
    public const int EndpointCount = 3;

    private readonly object _gate;
    private readonly IRecordLog[] _logs;
    private readonly Queue<LeaseRecord>[] _leases = [new(), new(), new()];

    // Totals over each endpoint's leases out.
    private readonly int[] _leasedCount = new int[EndpointCount];
    private readonly long[] _leasedBytes = new long[EndpointCount];

    public RecordStore(object gate, IRecordLog[] logs, bool isDurable, long firstSequence)
    {
        _gate = gate;
        _logs = logs;
        IsDurable = isDurable;
        FirstSequence = firstSequence;
    }

    public bool IsDurable { get; }

    /// <summary>The first sequence number for records appended in this run (one past any found on disk).</summary>
    public long FirstSequence { get; }

    /// <summary>Records stored and not yet completed: unread ones and the ones out on lease.</summary>
    public long Count
    {
        get
        {
            lock (_gate)
            {
                long count = 0;
                for (var i = 0; i < EndpointCount; i++)
                {
                    count += _logs[i].UnreadCount + _leasedCount[i];
                }

                return count;
            }
        }
    }

    /// <summary>Opens the queue on disk under <paramref name="directory"/>, recovering what an earlier run left.</summary>
    public static RecordStore OpenOnDisk(string directory, long segmentMaxBytes, out QueueRecovery recovery)
    {
        var gate = new object();
        var logs = new FileRecordLog[EndpointCount];
        try
        {
            logs[0] = FileRecordLog.Open(gate, Path.Combine(directory, "track"), segmentMaxBytes);
            logs[1] = FileRecordLog.Open(gate, Path.Combine(directory, "engage"), segmentMaxBytes);
            logs[2] = FileRecordLog.Open(gate, Path.Combine(directory, "groups"), segmentMaxBytes);
        }
        catch
        {
            foreach (var opened in logs)
            {
                opened?.Dispose();
            }

            throw;
        }

        recovery = new QueueRecovery(
            logs.Sum(static log => log.UnreadCount),
            [.. logs.SelectMany(static log => log.DamagedSegments)]);
        return new RecordStore(gate, logs, isDurable: true, firstSequence: logs.Max(static log => log.MaxSequence) + 1);
    }

    public static RecordStore CreateInMemory()
    {
        var gate = new object();
        return new RecordStore(
            gate,
            [
                new MemoryRecordLog(gate),
                new MemoryRecordLog(gate),
                new MemoryRecordLog(gate),
            ],
            isDurable: false,
            firstSequence: 1);
    }

    /// <summary>Records stored and not yet leased, on every endpoint.</summary>
    public long UnreadTotal
    {
        get
        {
            lock (_gate)
            {
                return _logs[0].UnreadCount + _logs[1].UnreadCount + _logs[2].UnreadCount;
            }
        }
    }

    public long UnreadCount(RecordEndpoint endpoint)
    {
        lock (_gate)
        {
            return _logs[(int)endpoint].UnreadCount;
        }
    }

    /// <summary>Appends laid-out frames to one endpoint's log and makes them durable. Writer only.</summary>
    public void Append(RecordEndpoint endpoint, ByteBuffer frames, int count) => _logs[(int)endpoint].Append(frames, count);

    /// <summary>Drops the oldest records not out on lease until the queue is within both limits; returns how many.</summary>
    public long Trim(long maxCount, long maxBytes)
    {
        lock (_gate)
        {
            long count = 0;
            long bytes = 0;
            for (var i = 0; i < EndpointCount; i++)
            {
                count += _logs[i].UnreadCount + _leasedCount[i];
                bytes += _logs[i].UnreadBytes + _leasedBytes[i];
            }

            long dropped = 0;
            while (count > maxCount || bytes > maxBytes)
            {
                IRecordLog? oldest = null;
                RecordFrame oldestHeader = default;
                foreach (var log in _logs)
                {
                    if (log.TryPeek(out var header) && (oldest is null || header.Sequence < oldestHeader.Sequence))
                    {
                        oldest = log;
                        oldestHeader = header;
                    }
                }

                if (oldest is null || !oldest.SkipNext())
                {
                    break;
                }

                dropped++;
                count--;
                bytes -= oldestHeader.TotalLength;
            }

            CommitIdleLogs();
            return dropped;
        }
    }

    /// <summary>Drops every record not out on lease (the user opted out); returns how many.</summary>
    public long Purge()
    {
        lock (_gate)
        {
            long dropped = 0;
            foreach (var log in _logs)
            {
                while (log.SkipNext())
                {
                    dropped++;
                }
            }

            CommitIdleLogs();
            return dropped;
        }
    }

    /// <summary>
    /// Leases the next records of <paramref name="endpoint"/> into <paramref name="batch"/>: at most
    /// <paramref name="maxCount"/> records and <paramref name="maxBodyBytes"/> bytes of body. Events older than
    /// <paramref name="notBeforeMilliseconds"/> and damaged records are consumed and reported instead. An empty lease
    /// is completed at once. Leases already out on the endpoint stay out: this one follows them.
    /// </summary>
    public LeaseResult Lease(RecordEndpoint endpoint, int maxCount, int maxBodyBytes, long notBeforeMilliseconds, RecordBatch batch)
    {
        lock (_gate)
        {
            var index = (int)endpoint;
            var log = _logs[index];
            batch.Reset(endpoint);
            var expired = 0;
            long bytes = 0;
            try
            {
                while (batch.Count < maxCount && log.TryPeek(out var header))
                {
                    if (header.TimeMilliseconds != 0 && header.TimeMilliseconds < notBeforeMilliseconds)
                    {
                        log.SkipNext();
                        expired++;
                        continue;
                    }

                    if (batch.Count > 0 && batch.BodyLength + header.PayloadLength + 1 > maxBodyBytes)
                    {
                        break;
                    }

                    if (batch.Add(log))
                    {
                        bytes += header.TotalLength;
                    }
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException && batch.Count + expired > 0)
            {
                // What was read is leased as it is; the record that could not be read stays unread for the next lease.
            }

            var damaged = (int)log.TakeDamaged();
            if (batch.Count > 0)
            {
                _leases[index].Enqueue(new LeaseRecord(batch.Count, bytes, log.ReadPosition));
                _leasedCount[index] += batch.Count;
                _leasedBytes[index] += bytes;
            }
            else if (_leases[index].Count == 0)
            {
                // What was consumed instead (expired, damaged) is committed now; with leases out, it is committed
                // with the last of them.
                log.CommitRead();
            }

            return new LeaseResult(batch.Count, expired, damaged);
        }
    }

    /// <summary>The oldest lease out on <paramref name="endpoint"/> is done with (delivered or dropped): commit it away.</summary>
    public void Complete(RecordEndpoint endpoint)
    {
        lock (_gate)
        {
            var index = (int)endpoint;
            var leases = _leases[index];
            if (leases.Count == 0)
            {
                throw new InvalidOperationException("No lease is out on this endpoint.");
            }

            var lease = leases.Dequeue();
            _leasedCount[index] -= lease.Count;
            _leasedBytes[index] -= lease.Bytes;

            // The last lease out commits everything read, which takes along what was dropped behind it meanwhile
            // (trimmed, purged, expired); an earlier one commits only up to its own end.
            if (leases.Count == 0)
            {
                _logs[index].CommitRead();
            }
            else
            {
                _logs[index].CommitRead(lease.End);
            }
        }
    }

    /// <summary>Records found damaged while trimming or purging since the last call (leases report their own).</summary>
    public long TakeDamaged()
    {
        lock (_gate)
        {
            return _logs.Sum(static log => log.TakeDamaged());
        }
    }

    /// <summary>How many records each log has had appended, for a flush to wait on.</summary>
    public long[] AppendedTotals()
    {
        lock (_gate)
        {
            return [.. _logs.Select(static log => log.AppendedTotal)];
        }
    }

    /// <summary>Whether every record counted in <paramref name="appendedTotals"/> has been completed.</summary>
    public bool HasCompleted(long[] appendedTotals)
    {
        lock (_gate)
        {
            for (var i = 0; i < EndpointCount; i++)
            {
                if (_logs[i].CompletedTotal < appendedTotals[i])
                {
                    return false;
                }
            }

            return true;
        }
    }

    public void Dispose()
    {
        foreach (var log in _logs)
        {
            log.Dispose();
        }
    }

    private void CommitIdleLogs()
    {
        for (var i = 0; i < EndpointCount; i++)
        {
            if (_leasedCount[i] == 0)
            {
                _logs[i].CommitRead();
            }
        }
    }

    /// <summary>A lease out: its size, and where in its log it ends.</summary>
    private readonly record struct LeaseRecord(int Count, long Bytes, ReadMark End);
}
