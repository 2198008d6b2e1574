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
/// <remarks>
/// The slot locks live beside <c>queue/</c> (<c>queue.0.lock</c>, …), not in it: a cache cleaner that deletes the
/// folder must not free a live process's slot for the next process to take, or both would send the same records
/// (and Mixpanel does not deduplicate a profile's <c>$add</c>). Should a lock file be deleted all the same, the lock
/// is taken again before the slot is next written (<see cref="Append"/>).
/// </remarks>
internal sealed class RecordQueue : IDisposable
{
    // Enough for every process of an app and its tools at once; beyond it a process queues in memory.
    private const int MaxSlots = 64;

    private readonly IRecordLog[] _logs;
    private readonly string? _queueDirectory;
    private readonly int _slot;
    private readonly FileStream? _legacyLock;
    private FileStream? _slotLock;
    private long _nextSequence;

    private RecordQueue(IRecordLog[] logs, string? queueDirectory, int slot, FileStream? slotLock, FileStream? legacyLock, long nextSequence)
    {
        _legacyLock = legacyLock;
        _logs = logs;
        _queueDirectory = queueDirectory;
        _slot = slot;
        _slotLock = slotLock;
        _nextSequence = nextSequence;
    }

    public bool IsDurable => _slotLock is not null;

    /// <summary>Records stored and not yet completed (delivered or dropped), those being sent included.</summary>
    public long Count => _logs.Sum(static log => log.AppendedTotal - log.CompletedTotal);

    /// <summary>Bytes of the records stored and not yet read.</summary>
    public long UnreadBytes => _logs.Sum(static log => log.UnreadBytes);

    public IRecordLog this[RecordEndpoint endpoint] => _logs[(int)endpoint];

    public static RecordQueue InMemory() => new([.. RecordEndpoints.All.Select(static _ => (IRecordLog)new MemoryRecordLog())], null, -1, null, null, 1);

    /// <summary>
    /// Opens the first free slot under <paramref name="queueDirectory"/>, recovering what an earlier run left in it;
    /// null when every slot is taken.
    /// </summary>
    public static RecordQueue? OpenSlot(string queueDirectory, long segmentBytes, long discardTag, out QueueRecovery recovery)
    {
        StorageFiles.CreateOwnerOnlyDirectory(queueDirectory);
        for (var slot = 0; slot < MaxSlots; slot++)
        {
            if (TryLockSlot(queueDirectory, slot) is not { } locks)
            {
                continue;
            }

            try
            {
                var logs = OpenLogs(SlotPath(queueDirectory, slot), segmentBytes, discardTag, out recovery);
                return new RecordQueue(logs, queueDirectory, slot, locks.Lock, locks.Legacy, logs.Max(static log => ((FileRecordLog)log).MaxSequence) + 1);
            }
            catch
            {
                locks.Lock.Dispose();
                locks.Legacy.Dispose();
                throw;
            }
        }

        recovery = default;
        return null;
    }

    public long TakeSequence() => _nextSequence++;

    /// <summary>Whether everything appended is on the disk.</summary>
    public bool IsSynced => _logs.All(static log => log.DurableTotal == log.AppendedTotal);

    /// <summary>Makes everything appended to every log durable now (see <see cref="IRecordLog.Sync"/>).</summary>
    public void Sync()
    {
        foreach (var log in _logs)
        {
            log.Sync();
        }
    }

    /// <summary>
    /// Appends frames to <paramref name="endpoint"/>'s log, the slot's lock taken again first if its file was deleted;
    /// <paramref name="durable"/>, on the disk before this returns (see <see cref="IRecordLog.Append"/>).
    /// </summary>
    /// <exception cref="IOException">The disk failed, or another process took the slot meanwhile: nothing was written.</exception>
    public void Append(RecordEndpoint endpoint, ByteBuffer frames, int count, bool durable = true)
    {
        HoldSlot();
        _logs[(int)endpoint].Append(frames, count, durable);
    }

    /// <summary>Makes sure this process still holds its slot's lock: a lock whose file was deleted protects nothing.</summary>
    private void HoldSlot()
    {
        if (_slotLock is null || File.Exists(_slotLock.Name))
        {
            return;
        }

        var retaken = StorageFiles.TryLock(_slotLock.Name)
            ?? throw new IOException($"The queue slot {_slot} was taken by another process after its lock file was deleted.");
        _slotLock.Dispose();
        _slotLock = retaken;
    }

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
            if (!Directory.Exists(path) || TryLockSlot(_queueDirectory, slot) is not { } locks)
            {
                continue;
            }

            using (locks.Lock)
            using (locks.Legacy)
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
        _legacyLock?.Dispose();
    }

    private static string SlotPath(string queueDirectory, int slot) => Path.Combine(queueDirectory, slot.ToString(CultureInfo.InvariantCulture));

    // Beside the queue folder, so that deleting the folder leaves every lock in place.
    private static string SlotLockPath(string queueDirectory, int slot) =>
        queueDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar) + "." + slot.ToString(CultureInfo.InvariantCulture) + ".lock";

    // Where earlier versions kept the lock, inside the queue folder: still taken, so that a process of an earlier
    // version running beside this one never shares a slot with it.
    private static string LegacySlotLockPath(string queueDirectory, int slot) => SlotPath(queueDirectory, slot) + ".lock";

    /// <summary>Both locks of a slot, or null (none held) when a process holds either.</summary>
    private static (FileStream Lock, FileStream Legacy)? TryLockSlot(string queueDirectory, int slot)
    {
        if (StorageFiles.TryLock(SlotLockPath(queueDirectory, slot)) is not { } slotLock)
        {
            return null;
        }

        try
        {
            if (StorageFiles.TryLock(LegacySlotLockPath(queueDirectory, slot)) is { } legacy)
            {
                return (slotLock, legacy);
            }
        }
        catch
        {
            slotLock.Dispose();
            throw;
        }

        slotLock.Dispose();
        return null;
    }

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
                to.Append(frames, count, durable: true);
                frames.Clear();
                count = 0;
            }
        }

        if (count > 0)
        {
            to.Append(frames, count, durable: true);
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
