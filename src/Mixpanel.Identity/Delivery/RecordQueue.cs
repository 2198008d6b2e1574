using System.Globalization;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Storage;

namespace Mixpanel.Identity.Delivery;

/// <summary>What opening a queue found from earlier runs.</summary>
internal readonly record struct QueueRecovery(long Records, long Torn)
{
    public static QueueRecovery operator +(QueueRecovery a, QueueRecovery b) => new(a.Records + b.Records, a.Torn + b.Torn);
}

/// <summary>
/// One process's queue: a log per endpoint, with the limits on size applied across all three (oldest records go
/// first, by sequence number). On disk, each process that shares a storage directory takes a slot of its own
/// (<c>queue/0</c>, <c>queue/1</c>, …) under an OS lock, so no record is ever read by two processes; a slot whose
/// process has died is adopted by a live one, which moves its records into its own slot and delivers them.
/// </summary>
internal sealed class RecordQueue : IDisposable
{
    // Enough for every process of an app and its tools at once; beyond it a process queues in memory.
    private const int MaxSlots = 64;

    private readonly IRecordLog[] _logs;
    private readonly string? _queueDirectory;
    private readonly FileStream? _slotLock;
    private long _nextSequence;

    private RecordQueue(IRecordLog[] logs, string? queueDirectory, FileStream? slotLock, long nextSequence)
    {
        _logs = logs;
        _queueDirectory = queueDirectory;
        _slotLock = slotLock;
        _nextSequence = nextSequence;
    }

    public bool IsDurable => _slotLock is not null;

    /// <summary>Records stored and not yet completed (delivered or dropped), those being sent included.</summary>
    public long Count => _logs.Sum(static log => log.AppendedTotal - log.CompletedTotal);

    /// <summary>Bytes of the records stored and not yet read.</summary>
    public long UnreadBytes => _logs.Sum(static log => log.UnreadBytes);

    public IRecordLog this[RecordEndpoint endpoint] => _logs[(int)endpoint];

    public static RecordQueue InMemory() => new([.. RecordEndpoints.All.Select(static _ => (IRecordLog)new MemoryRecordLog())], null, null, 1);

    /// <summary>
    /// Opens the first free slot under <paramref name="queueDirectory"/>, recovering what an earlier run left in it;
    /// null when every slot is taken.
    /// </summary>
    public static RecordQueue? OpenSlot(string queueDirectory, long segmentBytes, long discardTag, out QueueRecovery recovery)
    {
        StorageFiles.CreateOwnerOnlyDirectory(queueDirectory);
        for (var slot = 0; slot < MaxSlots; slot++)
        {
            if (StorageFiles.TryLock(SlotLockPath(queueDirectory, slot)) is not { } slotLock)
            {
                continue;
            }

            try
            {
                var logs = OpenLogs(SlotPath(queueDirectory, slot), segmentBytes, discardTag, out recovery);
                return new RecordQueue(logs, queueDirectory, slotLock, logs.Max(static log => ((FileRecordLog)log).MaxSequence) + 1);
            }
            catch
            {
                slotLock.Dispose();
                throw;
            }
        }

        recovery = default;
        return null;
    }

    public long TakeSequence() => _nextSequence++;

    /// <summary>
    /// Moves the records of every slot whose process has died into this queue, and empties those slots. A crash while
    /// moving leaves the slot's records where they were, to be moved again: events are deduplicated by
    /// <c>$insert_id</c>, so at worst a profile update moved just before the crash is sent twice.
    /// </summary>
    public QueueRecovery AdoptOrphans(long segmentBytes, long discardTag)
    {
        if (_queueDirectory is null)
        {
            return default;
        }

        var adopted = default(QueueRecovery);
        for (var slot = 0; slot < MaxSlots; slot++)
        {
            var path = SlotPath(_queueDirectory, slot);
            if (!Directory.Exists(path) || StorageFiles.TryLock(SlotLockPath(_queueDirectory, slot)) is not { } slotLock)
            {
                continue;
            }

            using (slotLock)
            {
                var logs = OpenLogs(path, segmentBytes, discardTag, out var recovery);
                try
                {
                    adopted += recovery;
                    for (var i = 0; i < RecordEndpoints.Count; i++)
                    {
                        MoveAll(logs[i], _logs[i]);
                        logs[i].CommitRead(logs[i].ReadPosition);
                    }
                }
                finally
                {
                    foreach (var log in logs)
                    {
                        log.Dispose();
                    }
                }

                TryDeleteDirectory(path);
            }
        }

        return adopted;
    }

    /// <summary>Drops the oldest unread records until the queue, with <paramref name="waiting"/> records in memory, is within both limits; returns how many.</summary>
    public long Trim(long maxCount, long maxBytes, long waiting, long waitingBytes)
    {
        var count = Count + waiting;
        var bytes = UnreadBytes + waitingBytes;
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

            if (oldest is null)
            {
                break;
            }

            oldest.SkipNext();
            dropped++;
            count--;
            bytes -= oldestHeader.TotalLength;
        }

        return dropped;
    }

    /// <summary>Drops every unread record (the user opted out); returns how many.</summary>
    public long Purge()
    {
        long dropped = 0;
        foreach (var log in _logs)
        {
            while (log.TryPeek(out _))
            {
                log.SkipNext();
                dropped++;
            }
        }

        return dropped;
    }

    /// <summary>Records found damaged or missing since the last call.</summary>
    public long TakeDamaged() => _logs.Sum(static log => log.TakeDamaged());

    public void Dispose()
    {
        foreach (var log in _logs)
        {
            log.Dispose();
        }

        _slotLock?.Dispose();
    }

    private static string SlotPath(string queueDirectory, int slot) => Path.Combine(queueDirectory, slot.ToString(CultureInfo.InvariantCulture));

    private static string SlotLockPath(string queueDirectory, int slot) => SlotPath(queueDirectory, slot) + ".lock";

    private static IRecordLog[] OpenLogs(string slotDirectory, long segmentBytes, long discardTag, out QueueRecovery recovery)
    {
        StorageFiles.CreateOwnerOnlyDirectory(slotDirectory);
        var logs = new FileRecordLog[RecordEndpoints.Count];
        try
        {
            foreach (var endpoint in RecordEndpoints.All)
            {
                // Profile operations are not deduplicated by Mixpanel: their cursor is made durable at every step.
                logs[(int)endpoint] = FileRecordLog.Open(
                    Path.Combine(slotDirectory, RecordEndpoints.Path(endpoint)), segmentBytes, syncEveryCommit: !RecordEndpoints.IsEvents(endpoint), discardTag);
            }
        }
        catch
        {
            foreach (var opened in logs)
            {
                opened?.Dispose();
            }

            throw;
        }

        recovery = new QueueRecovery(logs.Sum(static log => log.Recovered), logs.Sum(static log => log.TornAtOpen));
        return logs;
    }

    /// <summary>
    /// Frames the next record of <paramref name="from"/> (its header <paramref name="header"/>) at the end of
    /// <paramref name="frames"/> as record <paramref name="number"/> of the log it moves to, keeping its time; false when
    /// it turned out damaged.
    /// </summary>
    public bool TryMoveNext(IRecordLog from, RecordFrame header, ByteBuffer frames, long number)
    {
        if (!RecordFrame.TryReadNext(from, frames, out var start))
        {
            return false;
        }

        RecordFrame.Seal(frames, start, number, TakeSequence(), header.TimeMilliseconds, releaseTag: 0);
        return true;
    }

    /// <summary>Appends every unread record of <paramref name="from"/> to <paramref name="to"/>, in groups of about a megabyte.</summary>
    private void MoveAll(IRecordLog from, IRecordLog to)
    {
        var frames = new ByteBuffer(64 * 1024);
        var count = 0;
        while (from.TryPeek(out var header))
        {
            if (!TryMoveNext(from, header, frames, to.NextNumber + count))
            {
                continue;
            }

            count++;
            if (frames.Length >= 1024 * 1024)
            {
                to.Append(frames, count);
                frames.Clear();
                count = 0;
            }
        }

        if (count > 0)
        {
            to.Append(frames, count);
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // An empty slot left behind is harmless: the next process to take or adopt it finds nothing in it.
        }
    }
}
