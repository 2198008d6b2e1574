using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// Groups written and not yet known to be on the disk, per endpoint: counted stored (<c>Diagnostics.Persisted</c>) once
/// their log's durable total reaches them. It also has the loop woken when each flush to the disk going now ends, so
/// that the loop counts it and starts the next. Used by the loop alone.
/// </summary>
internal sealed class DurableCounts(DeliveryCounters counters, AsyncSignal? wake)
{
    // Per endpoint: the log's appended total once a group was written, and how many records the group brought.
    private readonly Queue<(long Total, int Count)>[] _written = [.. RecordEndpoints.All.Select(static _ => new Queue<(long Total, int Count)>())];
    private readonly Task?[] _watched = new Task?[RecordEndpoints.Count];

    /// <summary>A group of <paramref name="count"/> records was written to <paramref name="endpoint"/>'s log, which then held <paramref name="appendedTotal"/>.</summary>
    public void Written(RecordEndpoint endpoint, long appendedTotal, int count) => _written[(int)endpoint].Enqueue((appendedTotal, count));

    /// <summary>Counts what <paramref name="queue"/>'s logs have made durable, and watches the flushes they have going.</summary>
    public void Update(RecordQueue queue)
    {
        for (var i = 0; i < RecordEndpoints.Count; i++)
        {
            var log = queue[(RecordEndpoint)i];
            var written = _written[i];
            while (written.Count > 0 && written.Peek().Total <= log.DurableTotal)
            {
                counters.OnPersisted(written.Dequeue().Count);
            }

            if (wake is not null && log.Syncing is { } pass && pass != _watched[i])
            {
                _watched[i] = pass;
                _ = pass.ContinueWith(static (_, signal) => ((AsyncSignal)signal!).Set(), wake, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }
}
