using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// This process's slot of the queue on disk: opened at start with what earlier runs left in it, and the slots of
/// processes that died adopted — at start, when a release of held profile updates is found cut short, and once a
/// minute while idle. A device's identity names a release cut short (<see cref="IdentityState.PendingRelease"/>): its
/// records are discarded as they are recovered, and the mark cleared. Used by the loop alone.
/// </summary>
internal sealed class QueueSlots
{
    private static readonly TimeSpan AdoptionInterval = TimeSpan.FromMinutes(1);

    private readonly IdentityStore? _identity;
    private readonly string? _queueDirectory;
    private readonly long _segmentBytes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DeliveryCounters _counters;
    private long _nextAdoptionAt;

    public QueueSlots(MixpanelOptions options, IdentityStore? identity, string? queueDirectory, TimeProvider time, ILogger logger, DeliveryCounters counters)
    {
        _identity = identity;
        _queueDirectory = queueDirectory;
        _time = time;
        _logger = logger;
        _counters = counters;

        // Segments of an eighth of the byte budget (64 KiB to 4 MiB): the queue frees space a segment at a time.
        _segmentBytes = Math.Min(Math.Max(options.MaxQueueBytes / 8, 64 * 1024), 4 * 1024 * 1024);
    }


    /// <summary>Opens this process's queue slot, recovers what earlier runs left, and adopts slots of processes that died.</summary>
    public RecordQueue Open()
    {
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

        _nextAdoptionAt = _time.GetTimestamp() + Ticks(AdoptionInterval);
        return queue;
    }

    /// <summary>Moves the records of slots whose process died into <paramref name="queue"/>, cutting off a release tagged <paramref name="discardTag"/>.</summary>
    public QueueRecovery Adopt(RecordQueue queue, long discardTag)
    {
        var recovery = queue.AdoptOrphans(_segmentBytes, discardTag);
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

    /// <summary>Adopts orphaned slots once a minute, while <paramref name="queue"/> is empty and no records wait in memory.</summary>
    public void AdoptWhenIdle(RecordQueue queue, int waiting)
    {
        var now = _time.GetTimestamp();
        if (!queue.IsDurable || queue.Count > 0 || waiting > 0 || now < _nextAdoptionAt)
        {
            return;
        }

        _nextAdoptionAt = now + Ticks(AdoptionInterval);
        using (_identity?.Lock())
        {
            var stored = _identity?.ReadLatest();
            Adopt(queue, stored?.PendingRelease ?? 0);
            ClearPendingRelease(stored);
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
