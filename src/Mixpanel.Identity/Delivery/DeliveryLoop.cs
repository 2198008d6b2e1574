using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// The one background sender: leases batches from the store, one endpoint at a time and in turn, delivers them and
/// completes them, oldest first. It sends when a batch has filled up, when a flush asks (every
/// <see cref="MixpanelOptions.FlushInterval"/>, on <c>FlushAsync</c>, at disposal), and completes each flush once
/// everything stored before it is settled.
/// </summary>
/// <remarks>
/// While one batch is on the wire the next is leased, built and compressed, so the request after an answer leaves at
/// once instead of after a read and a gzip. Batches are completed in the order they were leased, whatever order their
/// answers come in: a log is only ever committed up to the end of a delivered batch.
/// </remarks>
internal sealed class DeliveryLoop : IDisposable
{
    /// <summary>Batches leased and not yet completed: the one on the wire and the one prepared behind it.</summary>
    internal const int MaxBatchesInFlight = 2;

    private static readonly TimeSpan FailureDelay = TimeSpan.FromSeconds(1);

    private readonly Task<RecordStore> _storeReady;
    private readonly IngestionClient _client;
    private readonly MixpanelOptions _options;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Action _requestPeriodicFlush;
    private readonly Action _recordsWanted;
    private readonly AsyncSignal _wake = new();
    private readonly object _flushGate = new();
    private readonly List<(long[] Targets, TaskCompletionSource<bool> Completion)> _flushes = [];
    private readonly DeliverySlot[] _slots = [new(), new()];
    private readonly Stack<DeliverySlot> _freeSlots = new();

    // Slots whose batch is leased and not yet completed, oldest first. A batch interrupted by a failure stays here and
    // is delivered again before anything new.
    private readonly Queue<DeliverySlot> _inFlight = new();
    private int _drainRequested;
    private int _nextEndpoint;
    private int _purgesPending;
    private bool _stopped;

    // The deliveries in flight run under this: an opt-out cancels them all at once. Replaced once they are all done.
    private CancellationTokenSource? _delivery;

    public DeliveryLoop(
        Task<RecordStore> storeReady,
        IngestionClient client,
        MixpanelOptions options,
        DeliveryCounters counters,
        ILogger logger,
        TimeProvider timeProvider,
        Action requestPeriodicFlush,
        Action? recordsWanted = null)
    {
        _storeReady = storeReady;
        _client = client;
        _options = options;
        _counters = counters;
        _logger = logger;
        _timeProvider = timeProvider;
        _requestPeriodicFlush = requestPeriodicFlush;
        _recordsWanted = recordsWanted ?? (static () => { });
        foreach (var slot in _slots)
        {
            _freeSlots.Push(slot);
        }
    }

    public int? HaltedStatusCode => _client.HaltedStatusCode;

    /// <summary>Sends everything stored, and completes <paramref name="completion"/> once the given totals are settled.</summary>
    public void RequestDelivery(long[] appendedTotals, TaskCompletionSource<bool>? completion)
    {
        if (completion is not null)
        {
            lock (_flushGate)
            {
                if (_stopped)
                {
                    // The client is stopping: what is left stays stored, and the flush waits no longer.
                    completion.TrySetResult(true);
                    return;
                }

                _flushes.Add((appendedTotals, completion));
            }
        }

        Volatile.Write(ref _drainRequested, 1);
        _wake.Set();
    }

    /// <summary>
    /// The user opted out: stop sending now, dropping the batches being sent, until the writer has purged the queue
    /// (<see cref="OnPurged"/>).
    /// </summary>
    public void BeginPurge()
    {
        Interlocked.Increment(ref _purgesPending);
        CancelDelivery();
    }

    /// <summary>The writer has purged the queue: sending may go on.</summary>
    public void OnPurged()
    {
        Interlocked.Decrement(ref _purgesPending);
        _wake.Set();
    }

    /// <summary>Called after each commit: wakes the sender when an endpoint has a full batch waiting.</summary>
    public void OnAppended(RecordStore store)
    {
        for (var endpoint = 0; endpoint < RecordStore.EndpointCount; endpoint++)
        {
            if (store.UnreadCount((RecordEndpoint)endpoint) >= _options.BatchSize)
            {
                _wake.Set();
                return;
            }
        }
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        var store = await _storeReady.ConfigureAwait(false);
        using var timer = _timeProvider.CreateTimer(
            static state => ((Action)state!)(), _requestPeriodicFlush, _options.FlushInterval, _options.FlushInterval);
        try
        {
            while (true)
            {
                await _wake.WaitAsync(stopping).ConfigureAwait(false);
                try
                {
                    var drainAll = Interlocked.Exchange(ref _drainRequested, 0) == 1;
                    await SendAvailableAsync(store, drainAll, stopping).ConfigureAwait(false);
                    CompleteSettledFlushes(store);
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !stopping.IsCancellationRequested)
                {
                    // Never let the loop die: log, pause, and carry on. Records stay queued.
                    Log.DeliveryLoopFailed(_logger, FailureDelay, exception);
                    await _timeProvider.DelayAsync(FailureDelay, stopping).ConfigureAwait(false);
                    _wake.Set();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping; unsent records stay stored.
        }
        finally
        {
            // Deliveries still running end on the same token; wait for them, so that no slot is in use after disposal.
            await WaitForDeliveriesAsync().ConfigureAwait(false);
            lock (_flushGate)
            {
                _stopped = true;
                foreach (var (_, completion) in _flushes)
                {
                    completion.TrySetResult(true);
                }

                _flushes.Clear();
            }
        }
    }

    public void Dispose()
    {
        foreach (var slot in _slots)
        {
            slot.Dispose();
        }

        _delivery?.Dispose();
    }

    private async Task SendAvailableAsync(RecordStore store, bool drainAll, CancellationToken stopping)
    {
        // Halted: nothing more is sent by this client, not even the batches that were refused.
        if (_client.HaltedStatusCode is not null || !CanSend(stopping))
        {
            return;
        }

        // What a failure interrupted goes first, in its order: delivered again, unless it was delivered already, or
        // dropped, when the user has opted out since.
        var optedOut = _delivery is { IsCancellationRequested: true };
        foreach (var slot in _inFlight)
        {
            if (IsToBeSentAgain(slot.Delivery))
            {
                slot.Delivery = optedOut ? Task.FromCanceled<bool>(new CancellationToken(canceled: true)) : _client.DeliverAsync(slot, DeliveryToken(stopping));
            }
        }

        while (true)
        {
            while (_inFlight.Count < MaxBatchesInFlight && _client.HaltedStatusCode is null && CanSend(stopping) &&
                   _delivery is not { IsCancellationRequested: true } && TryLease(store, drainAll, out var slot))
            {
                slot.Delivery = _client.DeliverAsync(slot, DeliveryToken(stopping));
                _inFlight.Enqueue(slot);
            }

            // The writer gathers records while the sender has batches stored ahead of it; it decides whether it is time.
            _recordsWanted();

            if (_inFlight.Count == 0 || !await CompleteOldestAsync(store, stopping).ConfigureAwait(false))
            {
                return;
            }

            // The deliveries an opt-out cancelled are all dropped: a fresh token for those that follow.
            if (_inFlight.Count == 0 && _delivery is { IsCancellationRequested: true } cancelled && !stopping.IsCancellationRequested)
            {
                Volatile.Write(ref _delivery, null);
                cancelled.Dispose();
            }
        }
    }

    /// <summary>Whether to go on sending: not while stopping, nor while a purge is on its way through the writer.</summary>
    private bool CanSend(CancellationToken stopping) => !stopping.IsCancellationRequested && Volatile.Read(ref _purgesPending) == 0;

    /// <summary>The token the deliveries in flight share, made when there is none.</summary>
    private CancellationToken DeliveryToken(CancellationToken stopping)
    {
        if (_delivery is { } delivery)
        {
            return delivery.Token;
        }

        delivery = CancellationTokenSource.CreateLinkedTokenSource(stopping);

        // Published before the purge check: a purge that starts now either sees this source or is seen here.
        Volatile.Write(ref _delivery, delivery);
        if (Volatile.Read(ref _purgesPending) > 0)
        {
            delivery.Cancel();
        }

        return delivery.Token;
    }

    private void CancelDelivery()
    {
        try
        {
            Volatile.Read(ref _delivery)?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The deliveries had just ended.
        }
    }

    /// <summary>Leases the next batch, from the endpoints in turn, into a free slot; false when none has one to send.</summary>
    private bool TryLease(RecordStore store, bool drainAll, out DeliverySlot slot)
    {
        slot = null!;
        var endpointsTried = 0;
        while (endpointsTried < RecordStore.EndpointCount)
        {
            var endpoint = (RecordEndpoint)_nextEndpoint;
            var unread = store.UnreadCount(endpoint);
            if (unread == 0 || (!drainAll && unread < _options.BatchSize))
            {
                _nextEndpoint = (_nextEndpoint + 1) % RecordStore.EndpointCount;
                endpointsTried++;
                continue;
            }

            var notBefore = endpoint == RecordEndpoint.Track
                ? (_timeProvider.GetUtcNow() - MixpanelLimits.MaxTrackEventAge).ToUnixTimeMilliseconds()
                : long.MinValue;
            var candidate = _freeSlots.Pop();
            var lease = store.Lease(endpoint, _options.BatchSize, MixpanelLimits.MaxRequestBytes, notBefore, candidate.Batch);
            if (lease.Expired > 0)
            {
                _counters.OnDropped(DropReason.Expired, lease.Expired, wasQueued: true);
                Log.RecordsExpired(_logger, lease.Expired);
            }

            _counters.OnDropped(DropReason.Corrupt, lease.Damaged, wasQueued: true);

            if (lease.Count > 0)
            {
                _nextEndpoint = (_nextEndpoint + 1) % RecordStore.EndpointCount;
                slot = candidate;
                return true;
            }

            // Only expired or damaged records: the endpoint may have more behind them. Reading nothing at all, it has
            // nothing readable left for now.
            _freeSlots.Push(candidate);
            if (lease.Expired + lease.Damaged == 0)
            {
                _nextEndpoint = (_nextEndpoint + 1) % RecordStore.EndpointCount;
                endpointsTried++;
            }
        }

        return false;
    }

    /// <summary>Waits for the oldest batch's delivery and completes it; false when delivery halted (its lease then stays out).</summary>
    private async Task<bool> CompleteOldestAsync(RecordStore store, CancellationToken stopping)
    {
        var oldest = _inFlight.Peek();
        bool delivered;
        try
        {
            delivered = await oldest.Delivery!.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested && _delivery is { IsCancellationRequested: true })
        {
            // The user opted out while the batch was on its way: it is dropped with the rest of the queue.
            _counters.OnDropped(DropReason.OptedOut, oldest.Batch.Count, wasQueued: true);
            delivered = true;
        }
        catch (Exception) when (!stopping.IsCancellationRequested)
        {
            // The batch is delivered again on the next pass; the rest finish first, so that each keeps its outcome.
            oldest.Delivery = null;
            await WaitForDeliveriesAsync().ConfigureAwait(false);
            throw;
        }

        if (!delivered)
        {
            // Halted: the batch stays stored for a client with a working token; this one sends nothing more.
            return false;
        }

        _inFlight.Dequeue();
        oldest.Delivery = null;
        _freeSlots.Push(oldest);
        store.Complete(oldest.Batch.Endpoint);
        CompleteSettledFlushes(store);
        return true;
    }

    /// <summary>Whether a delivery left behind by an interrupted pass has to be made again: it failed, halted, or never ran.</summary>
    private static bool IsToBeSentAgain(Task<bool>? delivery)
    {
        if (delivery is null)
        {
            return true;
        }

        if (!delivery.IsCompleted)
        {
            return false;
        }

        return delivery.Status != TaskStatus.RanToCompletion || !delivery.Result;
    }

    private async Task WaitForDeliveriesAsync()
    {
        foreach (var slot in _inFlight)
        {
            if (slot.Delivery is { } delivery)
            {
                // WhenAny never throws; the outcome is read where it matters (CompleteOldestAsync), or not at all.
                await Task.WhenAny(delivery).ConfigureAwait(false);
                _ = delivery.Exception;
            }
        }
    }

    private void CompleteSettledFlushes(RecordStore store)
    {
        lock (_flushGate)
        {
            var halted = _client.HaltedStatusCode is not null;
            for (var i = _flushes.Count - 1; i >= 0; i--)
            {
                if (halted || store.HasCompleted(_flushes[i].Targets))
                {
                    _flushes[i].Completion.TrySetResult(true);
                    _flushes.RemoveAt(i);
                }
            }
        }
    }
}
